//! The plain forms of a thread's frame: signing in, up and out without leaving it (the
//! frame keeps a session of its own, see `accounts::Holder`), and the first comment, which
//! makes the thread. Each posts to a server function and comes back to the frame's page.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::server_fns::StartThread;
use crate::accounts::server_fns::{SignIn, SignOut, SignUp};

/// Who comments here, and signing out of the frame; `back` is the frame's own page.
#[component]
pub(super) fn SignedIn(me: String, back: String) -> impl IntoView {
    view! {
        <form method="post" action=SignOut::PATH class="frame-account">
            <input type="hidden" name="next" value=back/>
            "Commenting as " <strong>{me}</strong> " "
            <button type="submit" class="link">"Sign out"</button>
        </form>
    }
}

/// Username and password, to sign in — or make an account — and come `back`.
#[component]
pub(super) fn SignInHere(back: String, error: Option<String>) -> impl IntoView {
    view! {
        <form method="post" action=SignIn::PATH class="frame-sign-in">
            <h2>"Sign in to comment"</h2>
            <input type="hidden" name="next" value=back/>
            <label>
                "Username"
                <input name="username" required autocomplete="username" autocapitalize="none"/>
            </label>
            <label>
                "Password"
                <input name="password" type="password" required autocomplete="current-password"/>
            </label>
            <div class="frame-sign-in-actions">
                <button type="submit">"Sign in"</button>
                <button type="submit" formaction=SignUp::PATH class="secondary">
                    "Create an account"
                </button>
            </div>
            <p class="error" role="alert">{error}</p>
        </form>
    }
}

/// The first comment under page `url` (titled `title`), which makes its thread.
#[component]
pub(super) fn FirstComment(url: String, title: String, error: Option<String>) -> impl IntoView {
    view! {
        <form method="post" action=StartThread::PATH class="first-comment">
            <input type="hidden" name="url" value=url/>
            <input type="hidden" name="title" value=title/>
            <label for="first-comment">"Your comment"</label>
            <textarea id="first-comment" name="body" rows="3" required></textarea>
            <button type="submit">"Comment"</button>
            <p class="error" role="alert">{error}</p>
        </form>
    }
}
