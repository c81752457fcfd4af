use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The future a [`LimiterBackend`](super::LimiterBackend) method returns.
///
/// A backend that answers without waiting (the in-memory one) returns
/// [`BackendFuture::ready`], which costs no allocation on the request path; one that does
/// I/O returns [`BackendFuture::boxed`].
#[must_use = "futures do nothing unless awaited"]
pub struct BackendFuture<'a, T>(Inner<'a, T>);

enum Inner<'a, T> {
    Ready(Option<T>),
    Boxed(Pin<Box<dyn Future<Output = T> + Send + 'a>>),
}

impl<'a, T> BackendFuture<'a, T> {
    /// A future that is already done.
    pub fn ready(value: T) -> Self {
        BackendFuture(Inner::Ready(Some(value)))
    }

    /// A future that runs `future`.
    pub fn boxed(future: impl Future<Output = T> + Send + 'a) -> Self {
        BackendFuture(Inner::Boxed(Box::pin(future)))
    }
}

impl<T: Unpin> Future for BackendFuture<'_, T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match &mut self.get_mut().0 {
            Inner::Ready(value) => Poll::Ready(
                value
                    .take()
                    .expect("BackendFuture polled after it returned Ready"),
            ),
            Inner::Boxed(future) => future.as_mut().poll(cx),
        }
    }
}

impl<T> fmt::Debug for BackendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.0 {
            Inner::Ready(Some(_)) => "ready",
            Inner::Ready(None) => "done",
            Inner::Boxed(_) => "boxed",
        };
        f.debug_tuple("BackendFuture").field(&state).finish()
    }
}
