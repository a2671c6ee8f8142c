use leptos::prelude::*;
use leptos_meta::HashedStylesheet;

use crate::App;
use crate::routes::{AppRoute, Bundle};

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
///
/// `options` name the main bundle; `separate_bundles`, the bundles the build made beside
/// it (`routes::Bundle`), each of which the scripts of its own pages load instead.
pub fn shell(
    options: LeptosOptions,
    separate_bundles: &[(Bundle, LeptosOptions)],
) -> impl IntoView + use<> {
    let request = use_context::<http::request::Parts>();
    provide_request_nonce(request.as_ref());
    let page = request.and_then(|request| AppRoute::from_path(request.uri.path()));
    let scripts = page
        .and_then(|page| {
            separate_bundles
                .iter()
                .find(|(bundle, _)| *bundle == page.bundle())
        })
        .map_or_else(|| options.clone(), |(_, own)| own.clone());

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
                <HydrationScripts options=scripts islands=true/>
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
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

fn provide_request_nonce(request: Option<&http::request::Parts>) {
    let nonce = request.and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(value)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(value));
    }
}
