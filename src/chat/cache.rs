//! What page loads read, kept in memory: the room directory (which also answers "does this
//! room exist"), who may see each private room, and each room's newest page of messages. A
//! miss reads the store; each write in this process clears what it changed once it has
//! committed, and each change another instance announces on the bus clears it too, before
//! this instance's streams hear of it (see `events::forget_changed`). A read that started
//! before a write is never kept after it: every write bumps a generation, and a load is
//! stored only if the generation it started under is still current.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use super::access::Access;
use super::domain::{Message, RoomSummary};

/// Rooms whose newest page is kept; past this, the kept pages are dropped and refilled.
const MAX_ROOMS: usize = 1024;

#[derive(Default)]
pub struct ReadCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    rooms: Option<Arc<Vec<RoomSummary>>>,
    access: Option<Arc<Access>>,
    newest: HashMap<String, Arc<Vec<Message>>>,
}

impl ReadCache {
    /// Every room, most recently active first: kept, or `load`ed and kept.
    pub async fn rooms<E>(
        &self,
        load: impl Future<Output = Result<Vec<RoomSummary>, E>>,
    ) -> Result<Arc<Vec<RoomSummary>>, E> {
        self.kept_or(
            |inner| inner.rooms.clone(),
            |inner, rooms| inner.rooms = Some(rooms),
            load,
        )
        .await
    }

    /// Who may see each private room: kept, or `load`ed and kept.
    pub async fn access<E>(
        &self,
        load: impl Future<Output = Result<Access, E>>,
    ) -> Result<Arc<Access>, E> {
        self.kept_or(
            |inner| inner.access.clone(),
            |inner, access| inner.access = Some(access),
            load,
        )
        .await
    }

    /// Room `slug`'s newest page of messages: kept, or `load`ed and kept.
    pub async fn newest<E>(
        &self,
        slug: &str,
        load: impl Future<Output = Result<Vec<Message>, E>>,
    ) -> Result<Arc<Vec<Message>>, E> {
        self.kept_or(
            |inner| inner.newest.get(slug).cloned(),
            |inner, messages| {
                if inner.newest.len() >= MAX_ROOMS {
                    inner.newest.clear();
                }
                inner.newest.insert(slug.to_owned(), messages);
            },
            load,
        )
        .await
    }

    /// What `kept` finds; otherwise what `load` gives, handed to `keep` unless a write
    /// happened meanwhile.
    async fn kept_or<T, E>(
        &self,
        kept: impl FnOnce(&Inner) -> Option<Arc<T>>,
        keep: impl FnOnce(&mut Inner, Arc<T>),
        load: impl Future<Output = Result<T, E>>,
    ) -> Result<Arc<T>, E> {
        let generation = {
            let inner = self.lock();
            if let Some(value) = kept(&inner) {
                return Ok(value);
            }
            inner.generation
        };
        let value = Arc::new(load.await?);
        let mut inner = self.lock();
        if inner.generation == generation {
            keep(&mut inner, Arc::clone(&value));
        }
        Ok(value)
    }

    /// Forgets the directory, and room `slug`'s messages if given: call after a write
    /// to them commits.
    pub fn clear(&self, slug: Option<&str>) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.rooms = None;
        if let Some(slug) = slug {
            inner.newest.remove(slug);
        }
    }

    /// Forgets who may see what, and the directory: call after a membership (or a private
    /// room) is committed.
    pub fn clear_access(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.rooms = None;
        inner.access = None;
    }

    /// Forgets everything: call when changes may have been missed.
    pub fn clear_all(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.rooms = None;
        inner.access = None;
        inner.newest.clear();
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().expect("read cache lock poisoned")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn room(slug: &str) -> RoomSummary {
        RoomSummary {
            slug: slug.into(),
            title: slug.into(),
            private: false,
            message_count: 0,
            last_activity: Timestamp(0),
            creator: None,
            unread: None,
            here: 0,
            thread: None,
        }
    }

    async fn load(rooms: &[&str]) -> Result<Vec<RoomSummary>, ()> {
        Ok(rooms.iter().map(|slug| room(slug)).collect())
    }

    #[tokio::test]
    async fn a_kept_value_is_served_until_a_write_clears_it() {
        let cache = ReadCache::default();
        assert_eq!(cache.rooms(load(&["a"])).await.unwrap()[0].slug, "a");
        assert_eq!(cache.rooms(load(&["b"])).await.unwrap()[0].slug, "a");
        cache.clear(None);
        assert_eq!(cache.rooms(load(&["b"])).await.unwrap()[0].slug, "b");
    }

    #[tokio::test]
    async fn a_load_that_began_before_a_write_is_not_kept() {
        let cache = ReadCache::default();
        let stale = cache.rooms(async {
            cache.clear(None); // a write commits while the load is under way
            load(&["stale"]).await
        });
        assert_eq!(
            stale.await.unwrap()[0].slug,
            "stale",
            "the caller still gets it"
        );
        assert_eq!(
            cache.rooms(load(&["fresh"])).await.unwrap()[0].slug,
            "fresh"
        );
    }

    #[tokio::test]
    async fn clearing_a_room_keeps_the_other_rooms_messages() {
        let cache = ReadCache::default();
        let page = |id: i64| async move {
            Ok::<_, ()>(vec![Message {
                id,
                room: String::new(),
                author: String::new(),
                body: String::new(),
                created_at: Timestamp(0),
                edited_at: None,
                deleted_at: None,
            }])
        };
        cache.newest("a", page(1)).await.unwrap();
        cache.newest("b", page(2)).await.unwrap();
        cache.clear(Some("a"));
        assert_eq!(cache.newest("a", page(3)).await.unwrap()[0].id, 3);
        assert_eq!(cache.newest("b", page(4)).await.unwrap()[0].id, 2);
    }
}
