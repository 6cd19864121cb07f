use crate::app::components::focus::details_by_id;
use crate::app::components::form::{
    ErrorBox, Feedback, FormMessages, PostForm, SubmitButton, PRIMARY_BUTTON,
};
use crate::app::components::layout::{Card, SettingsLayout};
use crate::app::components::tokens::{
    ActiveTokens, InactiveTokens, NewTokenFields, OneTimeSecret, RevokeDialog, TokenFilters,
};
use crate::app::fns::tokens::{load_tokens, CreateToken, RevokeToken, LIST_FLASH};
use crate::app::fns::{take_flash, TypedToken};
use crate::app::pages::signed_in_only;
use crate::domain::ids::TokenId;
use crate::domain::token::{ListSort, StateFilter};
use crate::paths;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

const ADD_FORM: &str = "add-token-form";

#[component]
pub fn AccessTokens() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    // Reload the list after a successful create or revoke only: a failed
    // create keeps the form as typed.
    let (changes, set_changes) = signal(0u32);
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move || {
        if matches!(create.value().get(), Some(Ok(_))) {
            set_changes.update(|n| *n += 1);
            // The list re-renders in place, keeping what was typed: empty
            // the form for the next token.
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
            // The new secret is what to look at now.
            if let Some(add_form) = details_by_id(ADD_FORM) {
                add_form.set_open(false);
            }
        }
    });
    Effect::new(move || {
        if matches!(revoke.value().get(), Some(Ok(_))) {
            set_changes.update(|n| *n += 1);
            use_navigate()(paths::TOKENS, Default::default());
        }
    });
    let query = use_query_map();
    // The list as the address asks (`?search=&state=&sort=`).
    let asked = move || query.with(|q| (q.get("search"), q.get("state"), q.get("sort")));
    let page = Resource::new(
        move || (changes.get(), asked()),
        |(_, (search, state, sort))| load_tokens(search, state, sort),
    );
    let create_flash = Resource::new(|| (), |_| take_flash("create_token".to_owned()));
    let revoke_flash = Resource::new(|| (), |_| take_flash(LIST_FLASH.to_owned()));

    view! {
        <Title text="Personal access tokens" />
        <SettingsLayout title="Personal access tokens">
            {signed_in_only(move |_user| {
                view! {
                    <div class="space-y-8">
                        <p class="text-sm text-gray-700">
                            "Personal access tokens replace your password for the API and for Git over HTTP, "
                            "and you need one for both when two-factor authentication is on. Each token "
                            "expires at 00:00 UTC on its expiration date and can do only what its scopes allow."
                        </p>
                        <Transition fallback=|| {
                            view! { <p class="text-sm text-gray-600">"Loading…"</p> }
                        }>
                            {move || Suspend::new(async move {
                                let flash = create_flash.await.ok().flatten();
                                let revoked = revoke_flash.await.ok().flatten();
                                match page.await {
                                    Err(e) => {
                                        view! { <ErrorBox message=e.to_string() /> }.into_any()
                                    }
                                    Ok(page) => {
                                        let feedback = Feedback::new(create, flash.clone());
                                        let revoke_feedback = Feedback::new(revoke, revoked);
                                        let prefilled = query
                                            .with_untracked(|q| {
                                                TypedToken::prefilled(
                                                    q.get("name"),
                                                    q.get("scopes"),
                                                    q.get("description"),
                                                )
                                            });
                                        let typed = TypedToken::from_flash(flash.as_ref())
                                            .or(prefilled);
                                        let open_form = typed != TypedToken::default()
                                            || flash.as_ref().is_some_and(|f| f.error.is_some());
                                        let revealed = page.revealed.clone();
                                        let active = page.active.clone();
                                        let confirm = move || {
                                            let id = query
                                                .with(|q| {
                                                    q.get("revoke").and_then(|v| v.parse::<TokenId>().ok())
                                                })?;
                                            active.iter().find(|t| t.id == id).cloned()
                                        };
                                        // The list comes first; the form opens from
                                        // "Add new token" (GitLab 16), or at once for a
                                        // prefilled link or a form to correct.
                                        view! {
                                            {move || match create.value().get() {
                                                Some(Ok(created)) => {
                                                    Some(view! { <OneTimeSecret created /> })
                                                }
                                                _ => {
                                                    revealed
                                                        .clone()
                                                        .map(|created| view! { <OneTimeSecret created /> })
                                                }
                                            }}
                                            <FormMessages feedback=revoke_feedback />
                                            <details id=ADD_FORM open=open_form>
                                                <summary
                                                    data-testid="add-token"
                                                    class=format!("{PRIMARY_BUTTON} cursor-pointer list-none")
                                                >
                                                    "Add new token"
                                                </summary>
                                                <div class="mt-4">
                                                    <Card name="add" title="Add a personal access token">
                                                        <FormMessages feedback />
                                                        <PostForm
                                                            action=create
                                                            node_ref=form
                                                            attr:class="max-w-2xl space-y-5"
                                                        >
                                                            <NewTokenFields
                                                                feedback=feedback
                                                                typed=typed.clone()
                                                                bounds=page.expiry.clone()
                                                                offered=page.offered
                                                                addresses=true
                                                            />
                                                            <SubmitButton
                                                                label="Create personal access token"
                                                                pending=create.pending()
                                                            />
                                                        </PostForm>
                                                    </Card>
                                                </div>
                                            </details>
                                            {page
                                                .any
                                                .then(|| {
                                                    let (search, state, sort) = asked();
                                                    let listed = page.active.len() + page.inactive.len();
                                                    view! {
                                                        <TokenFilters
                                                            search=search.unwrap_or_default()
                                                            state=StateFilter::parse(state.as_deref())
                                                            sort=ListSort::parse(sort.as_deref())
                                                            matching=page.matching
                                                            listed
                                                        />
                                                    }
                                                })}
                                            <ActiveTokens tokens=page.active.clone() now=page.now />
                                            <InactiveTokens
                                                tokens=page.inactive.clone()
                                                now=page.now
                                                expiry_enforced=page.expiry_enforced
                                            />
                                            {move || {
                                                confirm()
                                                    .map(|token| view! { <RevokeDialog token action=revoke /> })
                                            }}
                                        }
                                            .into_any()
                                    }
                                }
                            })}
                        </Transition>
                    </div>
                }
            })}
        </SettingsLayout>
    }
}
