//! Every client-side route, named once so links and redirects never spell paths by hand.

use leptos_router::StaticSegment;

/// The pages of the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppRoute {
    /// All todos (`/`).
    Todos,
    /// Todos not yet done (`/active`).
    Active,
    /// Todos done (`/completed`).
    Completed,
    /// Sign in (`/login`).
    Login,
    /// Create an account (`/register`).
    Register,
    /// Password, sessions and account deletion (`/account`).
    Account,
    /// Ask for a password-reset mail (`/forgot-password`).
    ForgotPassword,
    /// Choose a new password from a mailed link (`/reset-password?token=…`; the server
    /// writes this path into its mails).
    ResetPassword,
}

impl AppRoute {
    /// The absolute path of the page, for links and redirects.
    #[must_use]
    pub const fn path(self) -> &'static str {
        match self {
            Self::Todos => "/",
            Self::Active => "/active",
            Self::Completed => "/completed",
            Self::Login => "/login",
            Self::Register => "/register",
            Self::Account => "/account",
            Self::ForgotPassword => "/forgot-password",
            Self::ResetPassword => "/reset-password",
        }
    }

    /// The router segment that matches this page.
    #[must_use]
    pub const fn segment(self) -> StaticSegment<&'static str> {
        match self {
            Self::Todos => StaticSegment(""),
            Self::Active => StaticSegment("active"),
            Self::Completed => StaticSegment("completed"),
            Self::Login => StaticSegment("login"),
            Self::Register => StaticSegment("register"),
            Self::Account => StaticSegment("account"),
            Self::ForgotPassword => StaticSegment("forgot-password"),
            Self::ResetPassword => StaticSegment("reset-password"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AppRoute;

    #[test]
    fn every_path_is_its_segment_under_the_root() {
        for route in [
            AppRoute::Todos,
            AppRoute::Active,
            AppRoute::Completed,
            AppRoute::Login,
            AppRoute::Register,
            AppRoute::Account,
            AppRoute::ForgotPassword,
            AppRoute::ResetPassword,
        ] {
            assert_eq!(route.path(), format!("/{}", route.segment().0));
        }
    }
}
