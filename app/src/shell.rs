use leptos::prelude::*;
use leptos_meta::HashedStylesheet;

use crate::App;

/// Renders the full HTML document on the server.
///
/// The server's security-header middleware puts a fresh nonce into the request's
/// extensions and names it in the `Content-Security-Policy` header; here we hand the same
/// nonce to Leptos so that the inline hydration script carries it. Without it the browser
/// would refuse to run the script and the page would never hydrate.
///
/// The bundle's file names carry content hashes in release builds (see
/// `server/src/static_files.rs`); `HydrationScripts` and `HashedStylesheet` read them from
/// the hash file cargo-leptos writes beside the server binary.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    provide_request_nonce();

    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // The title and icon are the same on every page, so they are written here,
                // where the browser's bundle has no code for them (leptos_meta's client
                // side would be in it otherwise).
                <title>"Ticked"</title>
                <link rel="icon" type="image/x-icon" href="/favicon.ico"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options=options.clone() islands=true/>
                // Here rather than in `App`: only the server knows the file's hashed name.
                <HashedStylesheet id="leptos" options/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The per-response CSP nonce, as the server's middleware stores it in request extensions.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

#[cfg(feature = "ssr")]
fn provide_request_nonce() {
    let nonce = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(value)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(value));
    }
}
