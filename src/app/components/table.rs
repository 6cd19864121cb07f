//! The one table the pages show lists in: a bordered frame, a header row,
//! and the rows. On a phone (below 40rem) each row is a card and each cell
//! shows its column's name (`data-label` on the cell, styled in
//! `style/tailwind.css`): nothing is cut off and no page scrolls sideways.

use leptos::prelude::*;

/// A table with `columns` as its header (an empty name is a column of
/// buttons, named "Action" for screen readers only) and `children` as its
/// body rows, whose cells carry `data-label` = their column's name. The
/// roles are explicit: browsers drop a table's semantics once its display
/// changes, as it does on a phone.
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
                <th scope="col" role="columnheader" class="px-3 py-2">
                    {name}
                </th>
            }
        })
        .collect_view();
    view! {
        <div class="relative overflow-x-auto rounded-lg border border-gray-200 bg-white">
            <table role="table" class="data-table min-w-full text-left text-sm text-gray-700">
                <thead role="rowgroup" class="bg-gray-50 text-xs uppercase text-gray-600">
                    <tr role="row">{header}</tr>
                </thead>
                <tbody role="rowgroup" class="divide-y divide-gray-200">
                    {children()}
                </tbody>
            </table>
        </div>
    }
}
