use super::{admin_mode_entered, failed, AdminLayout, EventLine, LOADING};
use crate::app::fns::admin::load_admin_overview;
use crate::paths;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn Overview() -> impl IntoView {
    let page = Resource::new(admin_mode_entered, |_| load_admin_overview());
    view! {
        <Title text="Admin Area" />
        <Transition fallback=|| {
            view! { <p class="p-8 text-sm text-gray-600">{LOADING}</p> }
        }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => failed(e),
                    Ok(o) => {
                        let s = o.settings;
                        view! {
                            <AdminLayout title="Admin Area">
                                <dl class="grid gap-4 sm:grid-cols-3">
                                    <div class="rounded-lg border border-gray-200 bg-white p-4">
                                        <dt class="text-sm text-gray-600">"Users"</dt>
                                        <dd class="text-2xl font-semibold">
                                            <A href=paths::ADMIN_USERS>{o.users}</A>
                                        </dd>
                                    </div>
                                    <div class="rounded-lg border border-gray-200 bg-white p-4">
                                        <dt class="text-sm text-gray-600">
                                            "Token lifetime limit"
                                        </dt>
                                        <dd class="text-2xl font-semibold">
                                            <A href=paths::ADMIN_SETTINGS>
                                                {format!("{} days", s.token_max_lifetime_days)}
                                            </A>
                                        </dd>
                                    </div>
                                    <div class="rounded-lg border border-gray-200 bg-white p-4">
                                        <dt class="text-sm text-gray-600">"Token expiry"</dt>
                                        <dd class="text-2xl font-semibold">
                                            {if s.token_expiry_enforced {
                                                "Enforced"
                                            } else {
                                                "Not enforced"
                                            }}
                                        </dd>
                                    </div>
                                </dl>
                                <section aria-labelledby="recent-heading" class="space-y-2">
                                    <h2 id="recent-heading" class="text-lg font-semibold">
                                        "Recent administrative actions"
                                    </h2>
                                    {if o.recent.is_empty() {
                                        view! {
                                            <p class="text-sm text-gray-600">"Nothing yet."</p>
                                        }
                                            .into_any()
                                    } else {
                                        view! {
                                            <ul class="divide-y divide-gray-200 rounded-lg border border-gray-200 bg-white text-sm">
                                                {o
                                                    .recent
                                                    .into_iter()
                                                    .map(|e| {
                                                        view! {
                                                            <EventLine
                                                                about=e.target.clone().map(|t| format!(" · {t}"))
                                                                event=e
                                                            />
                                                        }
                                                    })
                                                    .collect_view()}
                                            </ul>
                                            <A
                                                href=paths::ADMIN_AUDIT
                                                attr:class="text-sm text-indigo-700 underline"
                                            >
                                                "The whole audit log"
                                            </A>
                                        }
                                            .into_any()
                                    }}
                                </section>
                            </AdminLayout>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
