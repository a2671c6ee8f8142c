//! One module per route of [`crate::routes::AppRoute`].
//!
//! The browser has two bundles ([`crate::routes::Bundle`]), and each carries only its own
//! pages' islands: a browser build (`hydrate`) compiles the signed-in pages with the
//! `signed-in-pages` feature and the signed-out ones with `signed-out-pages`. The server
//! and the unit tests compile every page.

/// Items compiled everywhere but in a browser build without `signed-in-pages`.
macro_rules! signed_in_pages {
    ($($item:item)*) => {
        $( #[cfg(any(not(feature = "hydrate"), feature = "signed-in-pages"))] $item )*
    };
}

/// Items compiled everywhere but in a browser build without `signed-out-pages`.
macro_rules! signed_out_pages {
    ($($item:item)*) => {
        $( #[cfg(any(not(feature = "hydrate"), feature = "signed-out-pages"))] $item )*
    };
}

mod not_found;
pub use not_found::NotFoundPage;

signed_in_pages! {
    mod account;
    mod todos;

    pub use account::AccountPage;
    pub use todos::TodosPage;
}

signed_out_pages! {
    mod forgot_password;
    mod login;
    mod register;
    mod reset_password;

    pub use forgot_password::ForgotPasswordPage;
    pub use login::LoginPage;
    pub use register::RegisterPage;
    pub use reset_password::ResetPasswordPage;
}
