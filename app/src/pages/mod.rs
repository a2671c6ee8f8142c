//! One module per route of [`crate::routes::AppRoute`].

mod account;
mod login;
mod not_found;
mod register;
mod todos;

pub use account::AccountPage;
pub use login::LoginPage;
pub use not_found::NotFoundPage;
pub use register::RegisterPage;
pub use todos::TodosPage;
