use super::{admin_mode_entered, failed, page_param, pager, AdminLayout, LOADING};
use crate::app::fns::admin::{load_audit_events, user_path, AUDIT_PATH};
use crate::app::format;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn AuditLog() -> impl IntoView {
    let page_number = page_param();
    let page = Resource::new(
        move || (page_number(), admin_mode_entered()),
        |(p, _)| load_audit_events(p),
    );
    view! {
        <Title text="Audit log · Admin Area"/>
        <Transition fallback=|| view! { <p class="p-8 text-sm text-gray-600">{LOADING}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => failed(e),
                    Ok(page) => view! {
                        <AdminLayout title="Audit log">
                            <p class="text-sm text-gray-700">"Every administrative action: who did what, when, to whom and to which token."</p>
                            <div class="overflow-x-auto rounded-lg border border-gray-200 bg-white">
                                <table class="min-w-full text-left text-sm">
                                    <thead class="bg-gray-50 text-xs uppercase text-gray-600">
                                        <tr>
                                            <th scope="col" class="px-3 py-2">"When"</th>
                                            <th scope="col" class="px-3 py-2">"Who"</th>
                                            <th scope="col" class="px-3 py-2">"Action"</th>
                                            <th scope="col" class="px-3 py-2">"User"</th>
                                            <th scope="col" class="px-3 py-2">"Token"</th>
                                            <th scope="col" class="px-3 py-2">"Details"</th>
                                        </tr>
                                    </thead>
                                    <tbody class="divide-y divide-gray-200">
                                        {page.items.iter().cloned().map(|e| view! {
                                            <tr data-testid="audit-event">
                                                <td class="px-3 py-2 whitespace-nowrap"><time datetime=format::machine(e.at)>{format::date(e.at)}</time></td>
                                                <td class="px-3 py-2">{e.actor}</td>
                                                <td class="px-3 py-2">{e.action}</td>
                                                <td class="px-3 py-2">{e.target.map(|t| view! { <A href=user_path(&t)>{t.clone()}</A> })}</td>
                                                <td class="px-3 py-2">{e.token}</td>
                                                <td class="px-3 py-2 text-gray-700">{e.details}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {pager(&page, |p| format!("{AUDIT_PATH}?page={p}"))}
                        </AdminLayout>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
