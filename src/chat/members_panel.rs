//! A private room's members, under its title: plain forms (JavaScript or not) to add someone
//! by username, to leave, and — for the room's creator — to remove anyone.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

use super::domain::Member;
use super::server_fns::{AddMember, RemoveMember, list_members};
use crate::accounts::signed_in;

/// The members of private room `slug`, as a member sees them.
#[component]
pub fn MembersPanel(slug: String) -> impl IntoView {
    let me = signed_in()
        .map(|account| account.username)
        .unwrap_or_default();
    // With JavaScript off, a refused form comes back here with its error in the URL.
    let refused_add = ServerAction::<AddMember>::new();
    let refused_remove = ServerAction::<RemoveMember>::new();
    let error = refused_add
        .value()
        .get_untracked()
        .and_then(|result| result.err())
        .or_else(|| {
            refused_remove
                .value()
                .get_untracked()
                .and_then(|result| result.err())
        })
        .map(|error| error.to_string());
    // Open after one of its forms, which come back with `?members`.
    let open = use_query_map().with_untracked(|query| query.get("members").is_some());
    let members = list_members(slug.clone());
    view! {
        {Suspend::new({
            let (slug, me, error) = (slug.clone(), me.clone(), error.clone());
            async move {
                let members = members.await.unwrap_or_default();
                let open = open || error.is_some();
                view! { <MemberList slug members me error open/> }
            }
        })}
    }
}

#[component]
fn MemberList(
    slug: String,
    members: Vec<Member>,
    me: String,
    error: Option<String>,
    open: bool,
) -> impl IntoView {
    let i_created = members.iter().any(|m| m.creator && m.username == me);
    let rows = members
        .into_iter()
        .map(|member| {
            let removable = i_created || member.username == me;
            let label = if member.username == me {
                "Leave"
            } else {
                "Remove"
            };
            view! {
                <li>
                    <span class="member">{member.username.clone()}</span>
                    {member.creator.then_some(view! { <span class="muted">" (creator)"</span> })}
                    {removable.then(|| view! {
                        <form method="post" action=RemoveMember::PATH class="inline">
                            <input type="hidden" name="slug" value=slug.clone()/>
                            <input type="hidden" name="username" value=member.username.clone()/>
                            <button type="submit" class="link">{label}</button>
                        </form>
                    })}
                </li>
            }
        })
        .collect_view();
    view! {
        <details class="members" open=open>
            <summary>"Members"</summary>
            <ul aria-label="Members">{rows}</ul>
            <form method="post" action=AddMember::PATH class="add-member">
                <input type="hidden" name="slug" value=slug.clone()/>
                <label>"Add someone" <input name="username" required placeholder="username" autocapitalize="none"/></label>
                <button type="submit">"Add"</button>
            </form>
            <p class="error" role="alert">{error}</p>
        </details>
    }
}
