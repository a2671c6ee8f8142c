//! One module per route of [`crate::routes::AppRoute`].

mod account;
mod forgot_password;
mod login;
mod not_found;
mod register;
mod reset_password;
mod todos;

pub use account::AccountPage;
pub use forgot_password::ForgotPasswordPage;
pub use login::LoginPage;
pub use not_found::NotFoundPage;
pub use register::RegisterPage;
pub use reset_password::ResetPasswordPage;
pub use todos::TodosPage;
