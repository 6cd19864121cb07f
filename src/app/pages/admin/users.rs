use super::{admin_mode_entered, failed, pager, yes_no, AdminLayout, LOADING};
use crate::app::components::table::DataTable;
use crate::app::fns::admin::load_admin_users;
use crate::domain::instant;
use crate::paths;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

#[component]
pub fn AdminUsers() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        query.with(|q| {
            (
                q.get("search").unwrap_or_default(),
                q.get("page")
                    .and_then(|p| p.parse::<i64>().ok())
                    .unwrap_or(1),
            )
        })
    };
    let page = Resource::new(
        move || (params(), admin_mode_entered()),
        |((search, page), _)| load_admin_users(search, page),
    );
    view! {
        <Title text="Users · Admin Area" />
        <Transition fallback=|| {
            view! { <p class="p-8 text-sm text-gray-600">{LOADING}</p> }
        }>
            {move || Suspend::new(async move {
                let (search, _) = params();
                match page.await {
                    Err(e) => failed(e),
                    Ok(page) => {
                        let encoded = percent_encoding::utf8_percent_encode(
                                &search,
                                percent_encoding::NON_ALPHANUMERIC,
                            )
                            .to_string();
                        view! {
                            <AdminLayout title="Users">
                                <Form
                                    method="GET"
                                    action=paths::ADMIN_USERS
                                    attr:class="flex max-w-xl gap-2"
                                    attr:role="search"
                                >
                                    <label for="user-search" class="sr-only">
                                        "Search by username or email"
                                    </label>
                                    <input
                                        id="user-search"
                                        type="search"
                                        name="search"
                                        value=search.clone()
                                        placeholder="Search by username or email"
                                        class="block w-full rounded-md border border-gray-300 px-3 py-2 shadow-sm focus:outline-none focus:ring-2 focus:ring-indigo-500"
                                    />
                                    <button
                                        type="submit"
                                        class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                                    >
                                        "Search"
                                    </button>
                                </Form>
                                {if page.items.is_empty() {
                                    view! { <p class="text-sm text-gray-600">"No users match."</p> }
                                        .into_any()
                                } else {
                                    let rows = page
                                        .items
                                        .iter()
                                        .cloned()
                                        .map(|u| {
                                            view! {
                                                <tr role="row" data-testid="admin-user">
                                                    <td
                                                        role="cell"
                                                        data-label="Username"
                                                        class="px-3 py-2 font-medium"
                                                    >
                                                        <A
                                                            href=paths::admin_user(&u.username)
                                                            attr:class="text-indigo-700 underline"
                                                        >
                                                            {u.username.clone()}
                                                        </A>
                                                    </td>
                                                    <td role="cell" data-label="Email" class="px-3 py-2">
                                                        {u.email}
                                                    </td>
                                                    <td role="cell" data-label="Admin" class="px-3 py-2">
                                                        {yes_no(u.is_admin)}
                                                    </td>
                                                    <td role="cell" data-label="2FA" class="px-3 py-2">
                                                        {if u.two_factor_enabled { "Enabled" } else { "Disabled" }}
                                                    </td>
                                                    <td role="cell" data-label="State" class="px-3 py-2">
                                                        {if u.blocked { "Blocked" } else { "Active" }}
                                                    </td>
                                                    <td role="cell" data-label="Created" class="px-3 py-2">
                                                        <time datetime=instant::machine(
                                                            u.created_at,
                                                        )>{instant::date(u.created_at)}</time>
                                                    </td>
                                                    <td role="cell" data-label="Last sign-in" class="px-3 py-2">
                                                        {u
                                                            .last_sign_in_at
                                                            .map_or_else(|| "Never".to_owned(), instant::date)}
                                                    </td>
                                                </tr>
                                            }
                                        })
                                        .collect_view();
                                    view! {
                                        <DataTable columns=&[
                                            "Username",
                                            "Email",
                                            "Admin",
                                            "2FA",
                                            "State",
                                            "Created",
                                            "Last sign-in",
                                        ]>{rows}</DataTable>
                                    }
                                        .into_any()
                                }}
                                {pager(
                                    &page,
                                    move |p| {
                                        format!("{}?search={encoded}&page={p}", paths::ADMIN_USERS)
                                    },
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
