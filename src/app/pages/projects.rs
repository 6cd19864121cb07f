//! The signed-in user's projects and the form for a new one.

use crate::app::components::form::{Feedback, Field, FormMessages, SubmitButton};
use crate::app::components::layout::Card;
use crate::app::fns::projects::{load_projects, CreateProject, ProjectView};
use crate::app::fns::take_flash;
use crate::app::pages::signed_in_only;
use crate::paths;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn Projects() -> impl IntoView {
    let create = ServerAction::<CreateProject>::new();
    let list = Resource::new(move || create.version().get(), |_| load_projects());
    let flash = Resource::new(|| (), |_| take_flash("create_project".to_owned()));
    view! {
        <Title text="Projects" />
        <div class="mx-auto max-w-6xl space-y-8 px-4 py-8">
            <h1 class="text-2xl font-semibold text-gray-900">"Projects"</h1>
            {signed_in_only(move |_user| {
                view! {
                    <Transition fallback=|| {
                        view! { <p class="text-sm text-gray-600">"Loading…"</p> }
                    }>
                        {move || Suspend::new(async move {
                            let flash = flash.await.ok().flatten();
                            let typed_name = flash.as_ref().and_then(|f| f.value("name"));
                            let public = flash
                                .as_ref()
                                .and_then(|f| f.value("visibility"))
                                .as_deref() == Some("public");
                            let feedback = Feedback::new(create, flash);
                            let (name_error, path_error) = (
                                feedback.field("name"),
                                feedback.field("path"),
                            );
                            let name_error = Signal::derive(move || {
                                name_error.get().or_else(|| path_error.get())
                            });
                            let projects = list.await;
                            // The path comes from the name: its errors show there.
                            view! {
                                <Card name="new-project" title="New project">
                                    <FormMessages feedback />
                                    <ActionForm action=create attr:class="max-w-xl space-y-4">
                                        <Field
                                            label="Project name"
                                            name="name"
                                            value=typed_name.unwrap_or_default()
                                            error=name_error
                                            maxlength=255
                                            hint="The URL path is derived from the name: lower case, spaces become dashes."
                                        />
                                        <fieldset class="space-y-2">
                                            <legend class="text-sm font-medium text-gray-900">
                                                "Visibility"
                                            </legend>
                                            <label class="flex items-start gap-2 text-sm">
                                                <input
                                                    type="radio"
                                                    name="visibility"
                                                    value="private"
                                                    checked=!public
                                                    class="mt-1"
                                                />
                                                <span>
                                                    <strong>"Private"</strong>
                                                    " — only you (and administrators) can clone it."
                                                </span>
                                            </label>
                                            <label class="flex items-start gap-2 text-sm">
                                                <input
                                                    type="radio"
                                                    name="visibility"
                                                    value="public"
                                                    checked=public
                                                    class="mt-1"
                                                />
                                                <span>
                                                    <strong>"Public"</strong>
                                                    " — anyone can clone it, without signing in."
                                                </span>
                                            </label>
                                        </fieldset>
                                        <SubmitButton
                                            label="Create project"
                                            pending=create.pending()
                                        />
                                    </ActionForm>
                                </Card>
                                {match projects {
                                    Err(e) => {
                                        view! {
                                            <p role="alert" class="text-sm text-red-800">
                                                {e.to_string()}
                                            </p>
                                        }
                                            .into_any()
                                    }
                                    Ok(list) if list.is_empty() => {
                                        view! {
                                            <p class="text-sm text-gray-600">
                                                "You have no projects yet."
                                            </p>
                                        }
                                            .into_any()
                                    }
                                    Ok(list) => view! { <ProjectList list /> }.into_any(),
                                }}
                            }
                        })}
                    </Transition>
                }
            })}
        </div>
    }
}

/// How to log in to the container registry and push and pull a
/// project's images.
#[component]
fn RegistryCommands(path: String) -> impl IntoView {
    let host = path.split('/').next().unwrap_or_default().to_owned();
    let commands = format!(
        "docker login {host}\ndocker build -t {path}/app:1 .\ndocker push {path}/app:1\ndocker pull {path}/app:1"
    );
    view! {
        <div class="space-y-1 text-sm text-gray-700">
            <p>
                "Container registry: "
                <code class="rounded bg-gray-100 px-1 font-mono text-xs" data-testid="image-path">
                    {path}
                </code>
                " (log in with your username and a personal access token with the read_registry or write_registry scope)"
            </p>
            <pre
                class="overflow-x-auto rounded bg-gray-100 p-2 font-mono text-xs"
                data-testid="registry-commands"
            >
                {commands}
            </pre>
        </div>
    }
}

#[component]
fn ProjectList(list: Vec<ProjectView>) -> impl IntoView {
    view! {
        <section aria-labelledby="your-projects-heading" class="space-y-3">
            <h2 id="your-projects-heading" class="text-lg font-semibold">
                "Your projects"
            </h2>
            <ul class="divide-y divide-gray-200 rounded-lg border border-gray-200 bg-white">
                {list
                    .into_iter()
                    .map(|p| {
                        view! {
                            <li class="space-y-1 p-4" data-testid="project">
                                <p class="font-medium">
                                    {p.full_path.clone()}
                                    <span class="ml-2 rounded bg-gray-100 px-2 py-0.5 text-xs text-gray-700">
                                        {p.visibility.clone()}
                                    </span>
                                </p>
                                <p class="text-sm text-gray-700">
                                    "Clone with a personal access token as the password: "
                                    <code
                                        class="rounded bg-gray-100 px-1 font-mono text-xs"
                                        data-testid="clone-url"
                                    >
                                        {format!("git clone {}", p.clone_url)}
                                    </code>
                                </p>
                                {p
                                    .image_path
                                    .clone()
                                    .map(|path| view! { <RegistryCommands path /> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <p class="text-sm text-gray-600">
                "Git asks for a username and password: use any username and a "
                <A href=paths::TOKENS attr:class="text-indigo-700 underline">
                    "personal access token"
                </A> " with the read_repository or write_repository scope."
            </p>
        </section>
    }
}
