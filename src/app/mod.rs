//! The Leptos user interface, compiled for the server (rendering) and the
//! browser (hydration).

pub mod components;
pub mod error;
pub mod fns;
pub mod pages;

use error::AppError;
use fns::account::ChangePassword;
use fns::admin::EnterAdminMode;
use fns::auth::{get_current_user, SignIn, SignOut, SignUp};
use fns::two_factor::{DisableTwoFactor, VerifyTwoFactor};
use fns::CurrentUser;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{lazy_route, path, Lazy, LazyRoute, SsrMode};

/// The HTML document around the app. On the server it also sets the page's
/// Content-Security-Policy with this response's nonce.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(res)) = (use_nonce(), use_context::<leptos_axum::ResponseOptions>()) {
        if let Ok(value) =
            axum::http::HeaderValue::from_str(&crate::server::security::page_csp(&nonce))
        {
            res.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <HashedStylesheet options=options.clone() id="leptos" />
                <FrontEndScript options />
                <MetaTags />
            </head>
            <body class="min-h-screen bg-gray-50 text-gray-900 antialiased">
                <App />
            </body>
        </html>
    }
}

/// Loads the WebAssembly front end and hydrates the page, once the page
/// has been painted and the browser is idle. Pages work without it (every
/// form posts as plain HTML), so on a slow network the server-rendered page
/// is complete long before the front end arrives, and nothing of it is
/// fetched before the first paint (leptos' `HydrationScripts` preloads it,
/// which a slow phone pays for in its largest contentful paint).
#[component]
fn FrontEndScript(options: LeptosOptions) -> impl IntoView {
    let (js, wasm) = front_end_files(&options);
    let script = format!(
        "const start=()=>import('/pkg/{js}').then(m=>m.default({{module_or_path:'/pkg/{wasm}'}})\
         .then(()=>m.hydrate()));\
         const idle=()=>requestAnimationFrame(()=>requestAnimationFrame(()=>\
         'requestIdleCallback' in window?requestIdleCallback(start,{{timeout:2000}}):setTimeout(start)));\
         document.readyState==='complete'?idle():addEventListener('load',idle,{{once:true}});"
    );
    view! {
        <script type="module" nonce=use_nonce()>
            {script}
        </script>
    }
}

/// The front end's script and WebAssembly file names: content-hashed when
/// the build hashed them (the names are in its hash file, read once).
fn front_end_files(options: &LeptosOptions) -> (String, String) {
    static NAMES: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    NAMES
        .get_or_init(|| {
            let name = options.output_name.to_string();
            let hashes = options
                .hash_files
                .then(|| std::fs::read_to_string(options.hash_file.as_ref()).ok())
                .flatten()
                .unwrap_or_default();
            let hash = |kind: &str| {
                hashes.lines().find_map(|line| {
                    let (k, v) = line.split_once(':')?;
                    (k.trim() == kind).then(|| v.trim().to_owned())
                })
            };
            match (hash("js"), hash("wasm")) {
                (Some(js), Some(wasm)) => {
                    (format!("{name}.{js}.js"), format!("{name}.{wasm}.wasm"))
                }
                _ => (format!("{name}.js"), format!("{name}.wasm")),
            }
        })
        .clone()
}

/// Every page but Access Tokens and "not found" is split out of the front
/// end's main WebAssembly file (`cargo leptos build --split`) and fetched
/// when first shown: a first visit downloads the shared code and its own
/// page only. (Access Tokens stays: most of its code is what every page
/// shares, and splitting it too was measured larger.)
macro_rules! lazy_page {
    ($route:ident, $page:path) => {
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    };
}
lazy_page!(HomeRoute, pages::home::Home);
lazy_page!(SignInRoute, pages::sign_in::SignIn);
lazy_page!(ProfileRoute, pages::settings::profile::Profile);
lazy_page!(SignUpRoute, pages::sign_up::SignUp);
lazy_page!(SecondStepRoute, pages::second_step::SecondStep);
lazy_page!(ForgotPasswordRoute, pages::password::ForgotPassword);
lazy_page!(ResetPasswordRoute, pages::password::ResetPasswordPage);
lazy_page!(ProjectsRoute, pages::projects::Projects);
lazy_page!(AccountRoute, pages::settings::account::Account);
lazy_page!(TwoFactorRoute, pages::settings::two_factor::TwoFactor);
lazy_page!(EditTokenRoute, pages::settings::token::EditToken);
lazy_page!(RotateTokenRoute, pages::settings::token::RotateToken);
lazy_page!(AdminOverviewRoute, pages::admin::overview::Overview);
lazy_page!(AdminSettingsRoute, pages::admin::settings::AdminSettings);
lazy_page!(AdminUsersRoute, pages::admin::users::AdminUsers);
lazy_page!(AdminUserRoute, pages::admin::user::AdminUser);
lazy_page!(AuditLogRoute, pages::admin::audit::AuditLog);
lazy_page!(OutboxRoute, pages::admin::outbox::Outbox);
lazy_page!(CredentialsRoute, pages::admin::credentials::Credentials);

/// The actions that change who is signed in. The current-user resource
/// reloads whenever one of them completes.
#[derive(Clone, Copy)]
pub struct AuthActions {
    pub sign_in: ServerAction<SignIn>,
    pub sign_up: ServerAction<SignUp>,
    pub sign_out: ServerAction<SignOut>,
    pub change_password: ServerAction<ChangePassword>,
    pub verify_two_factor: ServerAction<VerifyTwoFactor>,
    pub disable_two_factor: ServerAction<DisableTwoFactor>,
    /// Admin mode's re-authentication: the Admin Area's pages reload after it.
    pub enter_admin_mode: ServerAction<EnterAdminMode>,
}

impl AuthActions {
    fn new() -> Self {
        Self {
            sign_in: ServerAction::new(),
            sign_up: ServerAction::new(),
            sign_out: ServerAction::new(),
            change_password: ServerAction::new(),
            verify_two_factor: ServerAction::new(),
            disable_two_factor: ServerAction::new(),
            enter_admin_mode: ServerAction::new(),
        }
    }

    fn version(&self) -> usize {
        self.sign_in.version().get()
            + self.sign_up.version().get()
            + self.sign_out.version().get()
            + self.change_password.version().get()
            + self.verify_two_factor.version().get()
            + self.disable_two_factor.version().get()
    }
}

pub fn use_auth() -> AuthActions {
    expect_context::<AuthActions>()
}

pub type UserResource = Resource<Result<Option<CurrentUser>, AppError>>;

pub fn use_current_user() -> UserResource {
    expect_context::<UserResource>()
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let auth = AuthActions::new();
    provide_context(auth);
    let user: UserResource = Resource::new(move || auth.version(), |_| get_current_user());
    provide_context(user);

    // The pages split out of the main WebAssembly file (see `lazy_page!`).
    let home = Lazy::<HomeRoute>::new();
    let sign_in = Lazy::<SignInRoute>::new();
    let profile = Lazy::<ProfileRoute>::new();
    let sign_up = Lazy::<SignUpRoute>::new();
    let second_step = Lazy::<SecondStepRoute>::new();
    let forgot_password = Lazy::<ForgotPasswordRoute>::new();
    let reset_password = Lazy::<ResetPasswordRoute>::new();
    let projects = Lazy::<ProjectsRoute>::new();
    let account = Lazy::<AccountRoute>::new();
    let two_factor = Lazy::<TwoFactorRoute>::new();
    let edit_token = Lazy::<EditTokenRoute>::new();
    let rotate_token = Lazy::<RotateTokenRoute>::new();
    let admin_overview = Lazy::<AdminOverviewRoute>::new();
    let admin_settings = Lazy::<AdminSettingsRoute>::new();
    let admin_users = Lazy::<AdminUsersRoute>::new();
    let admin_user = Lazy::<AdminUserRoute>::new();
    let audit_log = Lazy::<AuditLogRoute>::new();
    let outbox = Lazy::<OutboxRoute>::new();
    let credentials = Lazy::<CredentialsRoute>::new();
    view! {
        <Title formatter=|title: String| {
            if title.is_empty() { "Forgekey".to_owned() } else { format!("{title} · Forgekey") }
        } />
        <Router>
            <a
                href="#main"
                class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:text-gray-900"
            >
                "Skip to content"
            </a>
            <components::layout::TopBar />
            <components::focus::FocusHeadingOnNavigation />
            <main id="main">
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=path!("") view=home ssr=SsrMode::InOrder />
                    <Route path=path!("/users/sign_in") view=sign_in ssr=SsrMode::InOrder />
                    <Route path=path!("/users/sign_up") view=sign_up ssr=SsrMode::InOrder />
                    <Route path=path!("/projects") view=projects ssr=SsrMode::InOrder />
                    <Route path=path!("/users/two_factor") view=second_step ssr=SsrMode::InOrder />
                    <Route
                        path=path!("/users/password/new")
                        view=forgot_password
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=path!("/users/password/edit")
                        view=reset_password
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=path!("/-/user_settings/profile")
                        view=profile
                        ssr=SsrMode::InOrder
                    />
                    <Route
                        path=path!("/-/user_settings/account")
                        view=account
                        ssr=SsrMode::InOrder
                    />
                    // Async: the whole page (and its headers, such as the
                    // cookie cleared after a one-time secret) is ready first.
                    <Route
                        path=path!("/-/user_settings/two_factor_auth")
                        view=two_factor
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/-/user_settings/personal_access_tokens")
                        view=pages::settings::access_tokens::AccessTokens
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/-/user_settings/personal_access_tokens/:id/edit")
                        view=edit_token
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/-/user_settings/personal_access_tokens/:id/rotate")
                        view=rotate_token
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/admin") view=admin_overview ssr=SsrMode::Async />
                    <Route
                        path=path!("/admin/application_settings")
                        view=admin_settings
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/admin/users") view=admin_users ssr=SsrMode::Async />
                    <Route
                        path=path!("/admin/users/:username")
                        view=admin_user
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/admin/audit_events") view=audit_log ssr=SsrMode::Async />
                    <Route path=path!("/admin/outbox") view=outbox ssr=SsrMode::Async />
                    <Route path=path!("/admin/credentials") view=credentials ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}
