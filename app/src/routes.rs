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

/// The browser's bundles, one per kind of page. A page loads only the islands of its
/// kind, so a visitor who has not signed in yet downloads none of the todo list's code,
/// the todo list none of the sign-in forms' or the account page's (BENCHMARKS.md, "Page
/// weight", steps 9 and 11). `make build` builds each; a build of the main bundle alone
/// (`cargo leptos watch`) puts every island in it and serves it on every page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bundle {
    /// The main bundle, named by `Cargo.toml`'s metadata (`ticked`): the todo list (and
    /// the 404 page, which has no island of its own).
    Todos,
    /// `ticked-account`: the account page.
    Account,
    /// `ticked-signed-out`: signing in, registering and resetting a password.
    SignedOut,
}

impl Bundle {
    /// The bundles `make build` builds beside the main one, each under its own name.
    pub const SEPARATE: [Self; 2] = [Self::Account, Self::SignedOut];

    /// The name of a separate bundle's files (`/pkg/<name>.<hash>.wasm`); the main
    /// bundle's comes from the configuration.
    #[must_use]
    pub const fn output_name(self) -> Option<&'static str> {
        match self {
            Self::Todos => None,
            Self::Account => Some("ticked-account"),
            Self::SignedOut => Some("ticked-signed-out"),
        }
    }

    /// The file beside the server binary where `make build` writes a separate bundle's
    /// content hashes.
    #[must_use]
    pub const fn hash_file(self) -> Option<&'static str> {
        match self {
            Self::Todos => None,
            Self::Account => Some("hash-account.txt"),
            Self::SignedOut => Some("hash-signed-out.txt"),
        }
    }
}

impl AppRoute {
    /// Every page.
    pub const ALL: [Self; 8] = [
        Self::Todos,
        Self::Active,
        Self::Completed,
        Self::Login,
        Self::Register,
        Self::Account,
        Self::ForgotPassword,
        Self::ResetPassword,
    ];

    /// The page at `path` (without its query), if any.
    #[must_use]
    pub fn from_path(path: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|route| route.path() == path)
    }

    /// The bundle whose islands this page hydrates: `pages` compiles each page's module
    /// into the bundle named here, and the browser tests check that every page hydrates.
    #[must_use]
    pub const fn bundle(self) -> Bundle {
        match self {
            Self::Todos | Self::Active | Self::Completed => Bundle::Todos,
            Self::Account => Bundle::Account,
            Self::Login | Self::Register | Self::ForgotPassword | Self::ResetPassword => {
                Bundle::SignedOut
            }
        }
    }

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
        for route in AppRoute::ALL {
            assert_eq!(route.path(), format!("/{}", route.segment().0));
            assert_eq!(AppRoute::from_path(route.path()), Some(route));
        }
        assert_eq!(AppRoute::from_path("/nowhere"), None);
    }
}
