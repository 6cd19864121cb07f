use super::{admin_mode_entered, failed, page_param, pager, AdminLayout, LOADING};
use crate::app::fns::admin::load_outbox;
use crate::domain::instant;
use crate::paths;
use leptos::prelude::*;
use leptos_meta::Title;

/// Mail Forgekey wrote, when no SMTP server is configured.
#[component]
pub fn Outbox() -> impl IntoView {
    let page_number = page_param();
    let page = Resource::new(
        move || (page_number(), admin_mode_entered()),
        |(p, _)| load_outbox(p),
    );
    view! {
        <Title text="Outbox · Admin Area" />
        <Transition fallback=|| {
            view! { <p class="p-8 text-sm text-gray-600">{LOADING}</p> }
        }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => failed(e),
                    Ok(outbox) => {
                        let page = outbox.mails;
                        view! {
                            <AdminLayout title="Outbox">
                                <p class="text-sm text-gray-700">
                                    {if outbox.smtp {
                                        "Mail Forgekey sends to users, newest first, and whether it was delivered."
                                    } else {
                                        "No SMTP server is configured, so mail to users is kept here, newest first."
                                    }}
                                </p>
                                {if page.items.is_empty() {
                                    view! { <p class="text-sm text-gray-600">"No mail yet."</p> }
                                        .into_any()
                                } else {
                                    page.items
                                        .iter()
                                        .cloned()
                                        .map(|m| {
                                            view! {
                                                <article
                                                    data-testid="mail"
                                                    class="space-y-2 rounded-lg border border-gray-200 bg-white p-4 wrap-anywhere"
                                                >
                                                    <h2 class="font-semibold">{m.subject}</h2>
                                                    <p class="text-xs text-gray-600">
                                                        "To " {m.recipient} " · "
                                                        <time datetime=instant::machine(
                                                            m.at,
                                                        )>{instant::date(m.at)}</time> " · "
                                                        <span data-testid="mail-status">{m.status}</span>
                                                    </p>
                                                    <pre class="whitespace-pre-wrap font-sans text-sm text-gray-800">
                                                        {m.body}
                                                    </pre>
                                                </article>
                                            }
                                        })
                                        .collect_view()
                                        .into_any()
                                }}
                                {pager(&page, |p| format!("{}?page={p}", paths::ADMIN_OUTBOX))}
                            </AdminLayout>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
