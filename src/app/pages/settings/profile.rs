use crate::app::components::layout::SettingsLayout;
use crate::app::pages::signed_in_only;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Profile() -> impl IntoView {
    view! {
        <Title text="Profile" />
        <SettingsLayout title="Profile">
            {signed_in_only(|user| {
                view! {
                    <dl class="divide-y divide-gray-200 rounded-lg border border-gray-200 bg-white">
                        <div class="grid grid-cols-3 gap-4 px-4 py-3">
                            <dt class="text-sm font-medium text-gray-600">"Username"</dt>
                            <dd class="col-span-2 text-sm" data-testid="profile-username">
                                {user.username}
                            </dd>
                        </div>
                        <div class="grid grid-cols-3 gap-4 px-4 py-3">
                            <dt class="text-sm font-medium text-gray-600">"Email"</dt>
                            <dd class="col-span-2 text-sm">{user.email}</dd>
                        </div>
                        <div class="grid grid-cols-3 gap-4 px-4 py-3">
                            <dt class="text-sm font-medium text-gray-600">"Role"</dt>
                            <dd class="col-span-2 text-sm">
                                {if user.is_admin { "Administrator" } else { "Regular user" }}
                            </dd>
                        </div>
                    </dl>
                }
            })}
        </SettingsLayout>
    }
}
