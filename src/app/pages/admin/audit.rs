use super::{admin_mode_entered, failed, pager, AdminLayout, LOADING};
use crate::app::components::table::DataTable;
use crate::app::fns::admin::load_audit_events;
use crate::domain::instant;
use crate::paths;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

const INPUT: &str = "block w-full rounded-md border border-gray-300 px-3 py-2 shadow-sm focus:outline-none focus:ring-2 focus:ring-indigo-500";

#[component]
pub fn AuditLog() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        query.with(|q| {
            (
                q.get("page")
                    .and_then(|p| p.parse::<i64>().ok())
                    .unwrap_or(1),
                q.get("actor").unwrap_or_default(),
                q.get("target").unwrap_or_default(),
                q.get("action").unwrap_or_default(),
            )
        })
    };
    let log = Resource::new(
        move || (params(), admin_mode_entered()),
        |((page, actor, target, action), _)| load_audit_events(page, actor, target, action),
    );
    view! {
        <Title text="Audit log · Admin Area" />
        <Transition fallback=|| {
            view! { <p class="p-8 text-sm text-gray-600">{LOADING}</p> }
        }>
            {move || Suspend::new(async move {
                match log.await {
                    Err(e) => failed(e),
                    Ok(log) => {
                        let filter = log.filter.clone();
                        let page = log.events;
                        view! {
                            <AdminLayout title="Audit log">
                                <p class="text-sm text-gray-700">
                                    "Every action on accounts, tokens and settings: when, who (and whom they acted as), from where, what, to whom and to which token."
                                </p>
                                <Form
                                    method="GET"
                                    action=paths::ADMIN_AUDIT
                                    attr:class="grid gap-3 sm:grid-cols-4 sm:items-end"
                                    attr:role="search"
                                >
                                    <div>
                                        <label
                                            for="audit-actor"
                                            class="block text-sm font-medium text-gray-700"
                                        >
                                            "Who"
                                        </label>
                                        <input
                                            id="audit-actor"
                                            type="search"
                                            name="actor"
                                            value=log.filter.actor.clone()
                                            placeholder="username"
                                            class=INPUT
                                        />
                                    </div>
                                    <div>
                                        <label
                                            for="audit-target"
                                            class="block text-sm font-medium text-gray-700"
                                        >
                                            "User"
                                        </label>
                                        <input
                                            id="audit-target"
                                            type="search"
                                            name="target"
                                            value=log.filter.target.clone()
                                            placeholder="username"
                                            class=INPUT
                                        />
                                    </div>
                                    <div>
                                        <label
                                            for="audit-action"
                                            class="block text-sm font-medium text-gray-700"
                                        >
                                            "Action"
                                        </label>
                                        <select id="audit-action" name="action" class=INPUT>
                                            <option value="" selected=log.filter.action.is_empty()>
                                                "Any action"
                                            </option>
                                            {log
                                                .actions
                                                .iter()
                                                .cloned()
                                                .map(|(name, label)| {
                                                    let selected = name == log.filter.action;
                                                    view! {
                                                        <option value=name selected=selected>
                                                            {label}
                                                        </option>
                                                    }
                                                })
                                                .collect_view()}
                                        </select>
                                    </div>
                                    <button
                                        type="submit"
                                        class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                                    >
                                        "Filter"
                                    </button>
                                </Form>
                                {if page.items.is_empty() {
                                    view! {
                                        <p class="text-sm text-gray-600">"No events match."</p>
                                    }
                                        .into_any()
                                } else {
                                    let rows = page
                                        .items
                                        .iter()
                                        .cloned()
                                        .map(|e| {
                                            view! {
                                                <tr role="row" data-testid="audit-event">
                                                    <td
                                                        role="cell"
                                                        data-label="When"
                                                        class="px-3 py-2 whitespace-nowrap"
                                                    >
                                                        <time datetime=instant::machine(
                                                            e.at,
                                                        )>{instant::date_time(e.at)}</time>
                                                    </td>
                                                    <td role="cell" data-label="Who" class="px-3 py-2">
                                                        {e.actor}
                                                        {e
                                                            .acted_as
                                                            .map(|a| {
                                                                view! {
                                                                    <span class="block text-xs text-amber-800">{a}</span>
                                                                }
                                                            })}
                                                    </td>
                                                    <td
                                                        role="cell"
                                                        data-label="From"
                                                        class="px-3 py-2 font-mono text-xs"
                                                    >
                                                        {e.address}
                                                    </td>
                                                    <td role="cell" data-label="Action" class="px-3 py-2">
                                                        {e.action}
                                                    </td>
                                                    <td role="cell" data-label="User" class="px-3 py-2">
                                                        {e
                                                            .target
                                                            .map(|t| {
                                                                view! { <A href=paths::admin_user(&t)>{t.clone()}</A> }
                                                            })}
                                                    </td>
                                                    <td role="cell" data-label="Token" class="px-3 py-2">
                                                        {e.token}
                                                    </td>
                                                    <td
                                                        role="cell"
                                                        data-label="Details"
                                                        class="px-3 py-2 text-gray-700"
                                                    >
                                                        {e.details}
                                                    </td>
                                                </tr>
                                            }
                                        })
                                        .collect_view();
                                    view! {
                                        <DataTable columns=&[
                                            "When",
                                            "Who",
                                            "From",
                                            "Action",
                                            "User",
                                            "Token",
                                            "Details",
                                        ]>{rows}</DataTable>
                                    }
                                        .into_any()
                                }}
                                {pager(
                                    &page,
                                    move |p| format!("{}?{}", paths::ADMIN_AUDIT, filter.query(p)),
                                )}
                            </AdminLayout>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
