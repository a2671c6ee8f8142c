//! One module per route of [`crate::routes::AppRoute`].
//!
//! The browser has a bundle per kind of page ([`crate::routes::Bundle`]), and each carries
//! only its own pages' islands: a browser build (`hydrate`) compiles a page's module only
//! with the feature of its bundle (`todo-pages`, `account-page`, `signed-out-pages`). The
//! server and the unit tests compile every page.

/// Items compiled everywhere but in a browser build without the bundle's `$feature`.
macro_rules! in_bundle {
    ($feature:literal, $($item:item)*) => {
        $( #[cfg(any(not(feature = "hydrate"), feature = $feature))] $item )*
    };
}

mod not_found;
pub use not_found::NotFoundPage;

in_bundle! {
    "todo-pages",
    mod todos;
    pub use todos::TodosPage;
}

in_bundle! {
    "account-page",
    mod account;
    pub use account::AccountPage;
}

in_bundle! {
    "signed-out-pages",
    mod forgot_password;
    mod login;
    mod register;
    mod reset_password;

    pub use forgot_password::ForgotPasswordPage;
    pub use login::LoginPage;
    pub use register::RegisterPage;
    pub use reset_password::ResetPasswordPage;
}
