//! The one table the pages show lists in: a bordered frame that scrolls
//! sideways on a narrow screen, a header row, and the rows.

use leptos::prelude::*;

/// A table with `columns` as its header (an empty name is a column of
/// buttons, named "Action" for screen readers only) and `children` as its
/// body rows.
#[component]
pub fn DataTable(columns: &'static [&'static str], children: Children) -> impl IntoView {
    let header = columns
        .iter()
        .map(|name| {
            let name = (!name.is_empty()).then_some(*name).map_or_else(
                || view! { <span class="sr-only">"Action"</span> }.into_any(),
                |n| n.into_any(),
            );
            view! {
                <th scope="col" class="px-3 py-2">
                    {name}
                </th>
            }
        })
        .collect_view();
    view! {
        <div class="overflow-x-auto rounded-lg border border-gray-200 bg-white">
            <table class="min-w-full text-left text-sm text-gray-700">
                <thead class="bg-gray-50 text-xs uppercase text-gray-600">
                    <tr>{header}</tr>
                </thead>
                <tbody class="divide-y divide-gray-200">{children()}</tbody>
            </table>
        </div>
    }
}
