//! `/signin`, `/signup` and the top bar's account menu: plain server-rendered forms, the
//! same with JavaScript on or off.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_query_map};

use super::domain::{PASSWORD_CHARS, USERNAME_CHARS};
use super::server_fns::{SignIn, SignOut, SignUp};
use super::signed_in;

/// Who is signed in, with a sign-out button; or links to sign in and up that come back here.
#[component]
pub fn UserMenu() -> impl IntoView {
    match signed_in() {
        Some(account) => view! {
            <form method="post" action=SignOut::PATH class="user-menu">
                <span class="signed-in">"Signed in as " <strong>{account.username}</strong></span>
                <button type="submit" class="link">"Sign out"</button>
            </form>
        }
        .into_any(),
        None => {
            let here = use_location().pathname.get_untracked();
            let next = format!("?next={}", encode(&here));
            view! {
                <nav class="user-menu" aria-label="Account">
                    <a href=format!("/signin{next}")>"Sign in"</a>
                    <a href=format!("/signup{next}")>"Sign up"</a>
                </nav>
            }
            .into_any()
        }
    }
}

/// `/signin`.
#[component]
pub fn SignInPage() -> impl IntoView {
    let refused = ServerAction::<SignIn>::new();
    let error = refused.value().get_untracked().and_then(Result::err);
    view! {
        <Title text="Sign in"/>
        <AccountForm action=SignIn::PATH heading="Sign in" error=error.map(|e| e.to_string())
            password_autocomplete="current-password"/>
        <p class="page narrow muted">"New here? " <A href="/signup">"Create an account"</A></p>
    }
}

/// `/signup`.
#[component]
pub fn SignUpPage() -> impl IntoView {
    let refused = ServerAction::<SignUp>::new();
    let error = refused.value().get_untracked().and_then(Result::err);
    view! {
        <Title text="Sign up"/>
        <AccountForm action=SignUp::PATH heading="Create an account" error=error.map(|e| e.to_string())
            password_autocomplete="new-password"/>
        <p class="page narrow muted">"Have an account? " <A href="/signin">"Sign in"</A></p>
    }
}

/// Username and password, posted to `action`; `next` comes from the page's query.
#[component]
fn AccountForm(
    action: &'static str,
    heading: &'static str,
    error: Option<String>,
    password_autocomplete: &'static str,
) -> impl IntoView {
    let next = use_query_map()
        .get_untracked()
        .get("next")
        .unwrap_or_default();
    view! {
        <main class="page narrow">
            <form method="post" action=action class="card account-form">
                <h1>{heading}</h1>
                <input type="hidden" name="next" value=next/>
                <label>
                    "Username"
                    <input name="username" required autocomplete="username" autocapitalize="none"
                        minlength=*USERNAME_CHARS.start() maxlength=*USERNAME_CHARS.end()
                        pattern="[A-Za-z0-9_\\-]+" title="letters, digits, “_” or “-”"/>
                </label>
                <label>
                    "Password"
                    <input name="password" type="password" required autocomplete=password_autocomplete
                        minlength=*PASSWORD_CHARS.start() maxlength=*PASSWORD_CHARS.end()/>
                </label>
                <button type="submit">{heading}</button>
                <p class="error" role="alert">{error}</p>
            </form>
        </main>
    }
}

/// `text` as a URL query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
