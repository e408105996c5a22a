/*
 * epoll sets over Tern sockets (and kernel descriptors), with Linux's
 * epoll(7) semantics: level-triggered by default, EPOLLET reports each new
 * event once, EPOLLONESHOT disarms an entry after one report until
 * EPOLL_CTL_MOD re-arms it, EPOLLERR/EPOLLHUP always reported, a closed
 * socket leaves every set.
 *
 * Shape (Linux's own, fs/eventpoll.c, in our terms): every entry is a
 * struct tern_watch linked into its socket's channel. The stack runs the
 * watch after each event on that socket; the watch pushes the entry onto
 * the set's lock-free ready stack (once: the `queued` flag) and signals the
 * set's waiter. epoll_wait() takes the set's mutex, moves the ready stack
 * into its ready list, asks each entry's socket for its current mask
 * (sock_events()), reports the non-zero ones and keeps level-triggered
 * ones on the list, so they are asked again next time and dropped only
 * once they stop being ready. The cost of a wait is the number of entries
 * that had events, not the size of the set.
 *
 * Kernel descriptors added to a set go into a kernel epoll set inside it;
 * a waiter then sleeps in the kernel on that set and on the set's eventfd,
 * which the watches write. tern_epoll_kernel_fd() exports one kernel
 * descriptor for both, for applications with their own event loop.
 *
 * Set memory is never returned to malloc: sets are recycled through a free
 * list, so a thread that races with close() and touches a stale set's
 * reference count touches valid memory, then sees the set is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_pause.h>

#include "poll_impl.h"
#include "runtime.h"
#include "sock_impl.h"
#include "sockif.h"
#include "stack.h"
#include "tern.h"

#define EP_CHUNK 1024u                           /* entries per table chunk */
#define EP_CHUNKS (TERN_FD_MAX / EP_CHUNK)
#define EP_MAX_EVENTS (INT32_MAX / (int)sizeof(struct epoll_event)) /* Linux's limit */
/* Requested bits that are modes, not events. */
#define EP_MODES (EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE | EPOLLWAKEUP)

struct eplink {
	struct eplink *prev, *next;
};

struct epitem {
	struct tern_watch w;         /* first: notify casts back */
	struct tern_ep *ep;
	struct tern_sock *s;
	uint32_t gen;                /* the socket's generation at ADD */
	int fd;
	uint32_t events;             /* as given to ADD/MOD, with ERR|HUP */
	epoll_data_t data;
	_Atomic bool queued;         /* on the ready stack */
	struct epitem *rnext;        /* ready stack link */
	_Atomic bool detached;       /* the socket's close unlinked us */
	bool disabled;               /* EPOLLONESHOT fired */
	bool on_rdl;
	bool zombie;                 /* deleted while queued: freed when popped */
	struct eplink rdl;           /* ready list (set mutex) */
	struct eplink zl;            /* zombie list (set mutex) */
};

struct tern_ep {
	pthread_mutex_t mtx;         /* ctl and the harvest of a wait */
	_Atomic uint32_t refs;       /* calls inside the set */
	_Atomic bool closed;
	int idx;                     /* descriptor index */
	struct tern_waiter wt;       /* evfd: always there */
	struct epitem *_Atomic ready; /* lock-free stack pushed by watches */
	struct eplink rdl;           /* ready list sentinel */
	struct eplink zombies;
	struct epitem **chunk[EP_CHUNKS];
	unsigned nitems;
	unsigned ninline;            /* entries on INLINE runtimes: waits drive */
	int kfd;                     /* kernel epoll set for kernel fds, or -1 */
	unsigned nkernel;
	int xfd;                     /* exported descriptor, or -1 */
	/* Nothing on rdl, no kernel descriptors, no exported descriptor: then
	 * a wait that finds `ready` empty has nothing to report, and a
	 * 0-timeout wait (a busy-polling loop's every turn) returns without
	 * the mutex. Written under the mutex (ep_unlock), read without. */
	_Atomic bool quiet;
	struct tern_ep *free_next;
};

static struct tern_ep *_Atomic ep_table[TERN_FD_MAX];
static struct tern_ep *ep_free;
static pthread_mutex_t ep_free_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- lists ---- */

static void
link_init(struct eplink *l)
{
	l->prev = l->next = l;
}

static void
link_tail(struct eplink *head, struct eplink *l)
{
	l->prev = head->prev;
	l->next = head;
	head->prev->next = l;
	head->prev = l;
}

static void
link_del(struct eplink *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->prev = l->next = l;
}

#define ITEM_OF(l, field) \
	((struct epitem *)((char *)(l) - offsetof(struct epitem, field)))

/* ---- descriptors ---- */

static int
ep_index(int fd)
{
	if (fd < TERN_FD_BASE || (unsigned)(fd - TERN_FD_BASE) >= TERN_FD_MAX)
		return -1;
	return fd - TERN_FD_BASE;
}

bool
epoll_is(int fd)
{
	int idx = ep_index(fd);
	/* relaxed: a yes/no for errno choice; ep_get() does the real check. */
	return idx >= 0 && atomic_load_explicit(&ep_table[idx], memory_order_relaxed) != NULL;
}

/* The set behind @p epfd with a reference, or NULL with -errno in *err
 * (EBADF: nothing open; EINVAL: open but not an epoll set, as Linux). */
static struct tern_ep *
ep_get(int epfd, int *err)
{
	int idx = ep_index(epfd);
	if (idx < 0) {
		*err = -EBADF;
		return NULL;
	}
	for (;;) {
		/* acquire: pairs with the publishing store in ep_create(). */
		struct tern_ep *ep = atomic_load_explicit(&ep_table[idx], memory_order_acquire);
		if (ep == NULL) {
			int saved = errno;
			*err = sock_get(epfd) != NULL ? -EINVAL : -EBADF;
			errno = saved;
			return NULL;
		}
		/* seq_cst: Dekker with epoll_close(), which unpublishes and
		 * then reads refs: it waits for us, or we see it gone. */
		atomic_fetch_add_explicit(&ep->refs, 1, memory_order_seq_cst);
		if (atomic_load_explicit(&ep_table[idx], memory_order_seq_cst) == ep)
			return ep;
		atomic_fetch_sub_explicit(&ep->refs, 1, memory_order_release);
	}
}

static void
ep_put(struct tern_ep *ep)
{
	/* release: our last touches of the set happen before its teardown. */
	atomic_fetch_sub_explicit(&ep->refs, 1, memory_order_release);
}

/* Leave the mutex, first recording whether the set is quiet. */
static void
ep_unlock(struct tern_ep *ep)
{
	/* relaxed: a hint; the fast path also reads `ready`, and missing an
	 * event that races with the look is what any wait may do. */
	atomic_store_explicit(&ep->quiet,
			      ep->rdl.next == &ep->rdl && ep->nkernel == 0 && ep->xfd < 0,
			      memory_order_relaxed);
	pthread_mutex_unlock(&ep->mtx);
}

static int
ep_create(void)
{
	int evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (evfd < 0)
		return sock_fail(errno == EMFILE || errno == ENFILE ? errno : ENOMEM);
	pthread_mutex_lock(&ep_free_lock);
	struct tern_ep *ep = ep_free;
	if (ep != NULL)
		ep_free = ep->free_next;
	pthread_mutex_unlock(&ep_free_lock);
	if (ep == NULL) {
		ep = calloc(1, sizeof(*ep));
		if (ep == NULL) {
			close(evfd);
			return sock_fail(ENOMEM);
		}
		pthread_mutex_init(&ep->mtx, NULL);
	}
	int idx = sock_fd_alloc();
	if (idx < 0) {
		close(evfd);
		pthread_mutex_lock(&ep_free_lock);
		ep->free_next = ep_free;
		ep_free = ep;
		pthread_mutex_unlock(&ep_free_lock);
		return sock_fail(EMFILE);
	}
	/* relaxed, all: not shared until the release store below. */
	atomic_store_explicit(&ep->closed, false, memory_order_relaxed);
	atomic_store_explicit(&ep->ready, NULL, memory_order_relaxed);
	ep->idx = idx;
	waiter_init(&ep->wt, evfd);
	link_init(&ep->rdl);
	link_init(&ep->zombies);
	ep->nitems = ep->ninline = ep->nkernel = 0;
	ep->kfd = ep->xfd = -1;
	atomic_store_explicit(&ep->quiet, true, memory_order_relaxed);
	/* release: the initialised set becomes visible to ep_get(). */
	atomic_store_explicit(&ep_table[idx], ep, memory_order_release);
	return TERN_FD_BASE + idx;
}

int
tern_epoll_create(int size)
{
	if (size <= 0)
		return sock_fail(EINVAL);
	return ep_create();
}

int
tern_epoll_create1(int flags)
{
	if (flags & ~EPOLL_CLOEXEC)
		return sock_fail(EINVAL);
	int fd = ep_create();
	if (fd >= 0 && (flags & EPOLL_CLOEXEC))   /* for fcntl(F_GETFD) */
		sock_fd_flags_set((uint32_t)(fd - TERN_FD_BASE), FD_CLOEXEC);
	return fd;
}

/* ---- entries ---- */

static struct epitem **
item_slot(struct tern_ep *ep, int fd, bool make)
{
	unsigned idx = (unsigned)(fd - TERN_FD_BASE);
	struct epitem **c = ep->chunk[idx / EP_CHUNK];
	if (c == NULL) {
		if (!make)
			return NULL;
		c = calloc(EP_CHUNK, sizeof(*c));
		if (c == NULL)
			return NULL;
		ep->chunk[idx / EP_CHUNK] = c;
	}
	return &c[idx % EP_CHUNK];
}

static void
item_notify(struct tern_watch *w)
{
	struct epitem *it = (struct epitem *)w;
	struct tern_ep *ep = it->ep;
	/* acq_rel: one pusher per round; the harvester's release store of
	 * false lets the next event push again. */
	if (!atomic_exchange_explicit(&it->queued, true, memory_order_acq_rel)) {
		/* relaxed load, release CAS: a Treiber push; the harvester
		 * takes the whole stack at once, so there is no ABA. */
		struct epitem *head = atomic_load_explicit(&ep->ready, memory_order_relaxed);
		do {
			it->rnext = head;
		} while (!atomic_compare_exchange_weak_explicit(&ep->ready, &head, it,
								memory_order_release,
								memory_order_relaxed));
	}
	waiter_signal(&ep->wt);
}

static void
item_detached(struct tern_watch *w)
{
	/* release: the harvester that sees it may free the entry. */
	atomic_store_explicit(&((struct epitem *)w)->detached, true, memory_order_release);
}

static bool
item_stale(struct epitem *it)
{
	/* acquire: pairs with item_detached() and the close's generation bump. */
	return atomic_load_explicit(&it->detached, memory_order_acquire) ||
	       atomic_load_explicit(&it->s->chan.gen, memory_order_acquire) != it->gen;
}

/* Remove @p it from the set (mutex held): unlink, and free it unless the
 * ready stack still holds it (then the harvest frees it). */
static void
item_remove(struct tern_ep *ep, struct epitem *it)
{
	tern_chan_watch_del(&it->s->chan, &it->w);
	struct epitem **slot = item_slot(ep, it->fd, false);
	if (slot != NULL && *slot == it)
		*slot = NULL;
	if (it->on_rdl) {
		link_del(&it->rdl);
		it->on_rdl = false;
	}
	ep->nitems--;
	if (it->s->rt->mode == TERN_MODE_INLINE)
		ep->ninline--;
	/* acquire: pairs with item_notify()'s exchange; once unlinked above,
	 * nobody sets it again. */
	if (atomic_load_explicit(&it->queued, memory_order_acquire)) {
		it->zombie = true;
		link_tail(&ep->zombies, &it->zl);
	} else {
		free(it);
	}
}

static void
rdl_add(struct tern_ep *ep, struct epitem *it)
{
	if (!it->on_rdl) {
		link_tail(&ep->rdl, &it->rdl);
		it->on_rdl = true;
	}
}

/* Move what the watches pushed onto the ready list (mutex held). */
static void
take_ready(struct tern_ep *ep)
{
	/* acquire: pairs with the pushers' release CAS. */
	struct epitem *it = atomic_exchange_explicit(&ep->ready, NULL, memory_order_acquire);
	struct epitem *fifo = NULL;
	while (it != NULL) {            /* the stack is newest first: reverse */
		struct epitem *next = it->rnext;
		it->rnext = fifo;
		fifo = it;
		it = next;
	}
	for (it = fifo; it != NULL;) {
		struct epitem *next = it->rnext;
		/* seq_cst, not just release: an event after this point queues
		 * the entry again, and the mask harvest() reads next must not
		 * be read before this store is visible (a store-load order,
		 * which only seq_cst gives). */
		atomic_store_explicit(&it->queued, false, memory_order_seq_cst);
		if (it->zombie) {
			link_del(&it->zl);
			free(it);
		} else {
			rdl_add(ep, it);
		}
		it = next;
	}
}

/* Report ready entries into @p out (mutex held). @return how many. */
static int
harvest(struct tern_ep *ep, struct epoll_event *out, int max)
{
	take_ready(ep);
	int n = 0;
	/* Visit each entry on the list once: level-triggered ones go back to
	 * the tail, so stop at the first of those. */
	struct eplink *stop = NULL;
	while (ep->rdl.next != &ep->rdl && ep->rdl.next != stop && n < max) {
		struct epitem *it = ITEM_OF(ep->rdl.next, rdl);
		link_del(&it->rdl);
		it->on_rdl = false;
		if (item_stale(it)) {
			item_remove(ep, it);
			continue;
		}
		if (it->disabled)
			continue;
		uint32_t ev = sock_events(it->s) & (it->events & ~(uint32_t)EP_MODES);
		if (ev == 0)
			continue;
		out[n].events = ev;
		out[n].data = it->data;
		n++;
		if (it->events & EPOLLONESHOT) {
			it->disabled = true;
		} else if (!(it->events & EPOLLET)) {
			rdl_add(ep, it);
			if (stop == NULL)
				stop = &it->rdl;
		}
	}
	return n;
}

/* Is something left for the next wait (mutex held)? */
static bool
ep_pending(struct tern_ep *ep)
{
	/* relaxed: a hint to keep the exported descriptor readable. */
	return ep->rdl.next != &ep->rdl ||
	       atomic_load_explicit(&ep->ready, memory_order_relaxed) != NULL;
}

static int
ctl_kernel(struct tern_ep *ep, int op, int fd, struct epoll_event *ev)
{
	if (ep->kfd < 0) {
		ep->kfd = epoll_create1(EPOLL_CLOEXEC);
		if (ep->kfd < 0)
			return -errno;
		if (ep->xfd >= 0) {
			struct epoll_event xe = { .events = EPOLLIN, .data.fd = ep->kfd };
			if (epoll_ctl(ep->xfd, EPOLL_CTL_ADD, ep->kfd, &xe) != 0)
				return -errno;
		}
	}
	if (epoll_ctl(ep->kfd, op, fd, ev) != 0)
		return -errno;
	if (op == EPOLL_CTL_ADD)
		ep->nkernel++;
	else if (op == EPOLL_CTL_DEL && ep->nkernel > 0)
		ep->nkernel--;
	return 0;
}

static int
ctl(struct tern_ep *ep, int op, int fd, struct epoll_event *ev)
{
	if (fd < 0)
		return -EBADF;
	if (fd < TERN_FD_BASE)
		return ctl_kernel(ep, op, fd, ev);
	if (epoll_is(fd))
		return -EINVAL;   /* nesting Tern sets is not supported */
	struct tern_sock *s = sock_get(fd);
	if (s == NULL)
		return -EBADF;
	if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL)
		return -EINVAL;
	if (op != EPOLL_CTL_DEL && (ev->events & EPOLLEXCLUSIVE) &&
	    (op == EPOLL_CTL_MOD ||
	     (ev->events & ~(uint32_t)(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP |
				       EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE))))
		return -EINVAL;   /* Linux's EPOLLEXCLUSIVE rules */

	struct epitem **slot = item_slot(ep, fd, op == EPOLL_CTL_ADD);
	if (slot == NULL)
		return op == EPOLL_CTL_ADD ? -ENOMEM : -ENOENT;
	struct epitem *it = *slot;
	if (it != NULL && (it->s != s || item_stale(it))) {
		/* The descriptor was closed (and maybe reused) since: that
		 * registration is gone, as Linux drops it at close. */
		item_remove(ep, it);
		it = NULL;
	}
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it != NULL)
			return -EEXIST;
		it = calloc(1, sizeof(*it));
		if (it == NULL)
			return -ENOMEM;
		it->w.notify = item_notify;
		it->w.detached = item_detached;
		it->ep = ep;
		it->s = s;
		it->fd = fd;
		/* acquire: the generation of the socket we were handed. */
		it->gen = atomic_load_explicit(&s->chan.gen, memory_order_acquire);
		it->events = ev->events | EPOLLERR | EPOLLHUP;
		it->data = ev->data;
		link_init(&it->rdl);
		link_init(&it->zl);
		*slot = it;
		ep->nitems++;
		if (s->rt->mode == TERN_MODE_INLINE)
			ep->ninline++;
		/* Link first, then look: an event after the look runs our
		 * watch (tern_chan_watch_add's Dekker). */
		tern_chan_watch_add(&s->chan, &it->w);
		break;
	case EPOLL_CTL_MOD:
		if (it == NULL)
			return -ENOENT;
		it->events = ev->events | EPOLLERR | EPOLLHUP;
		it->data = ev->data;
		it->disabled = false;
		break;
	default:   /* EPOLL_CTL_DEL */
		if (it == NULL)
			return -ENOENT;
		item_remove(ep, it);
		return 0;
	}
	/* Already ready: report at the next wait (ep_insert/ep_modify). */
	if (sock_events(s) & (it->events & ~(uint32_t)EP_MODES)) {
		rdl_add(ep, it);
		waiter_signal(&ep->wt);
	}
	return 0;
}

int
tern_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	bool has_event = op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD;
	if (has_event && ev == NULL)
		return sock_fail(EFAULT);
	int err;
	struct tern_ep *ep = ep_get(epfd, &err);
	if (ep == NULL)
		return sock_fail(-err);
	if (fd == epfd) {
		ep_put(ep);
		return sock_fail(EINVAL);
	}
	pthread_mutex_lock(&ep->mtx);
	int rc = ctl(ep, op, fd, ev);
	ep_unlock(ep);
	ep_put(ep);
	return rc == 0 ? 0 : sock_fail(-rc);
}

/* ---- wait ---- */

/* One look (mutex held): Tern entries, then kernel descriptors. */
static int
ep_look(struct tern_ep *ep, struct epoll_event *out, int max)
{
	if (ep->xfd >= 0)
		waiter_drain(&ep->wt);
	int n = harvest(ep, out, max);
	if (n < max && ep->nkernel > 0) {
		int k = epoll_wait(ep->kfd, out + n, max - n, 0);
		if (k > 0)
			n += k;
	}
	/* The exported descriptor stays readable while entries stay ready. */
	if (ep->xfd >= 0 && ep_pending(ep))
		waiter_signal(&ep->wt);
	return n;
}

int
tern_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout_ms)
{
	if (maxevents <= 0 || maxevents > EP_MAX_EVENTS)
		return sock_fail(EINVAL);
	if (events == NULL)
		return sock_fail(EFAULT);
	/* The quiet fast path, a busy-polling loop's every turn: nothing left
	 * from the last look and no watch has fired since. It takes no
	 * reference (two atomic read-modify-writes per turn otherwise): set
	 * memory is never freed, only recycled, so these loads are safe on a
	 * set being closed, and seeing the same set published after them
	 * means they were of this one. A wait that races with close may
	 * return 0 as well as EBADF. acquire: as ep_get(), and pairs with the
	 * pushers' release CAS on ready. */
	int idx = ep_index(epfd);
	if (timeout_ms == 0 && idx >= 0) {
		struct tern_ep *q = atomic_load_explicit(&ep_table[idx], memory_order_acquire);
		if (q != NULL && atomic_load_explicit(&q->quiet, memory_order_relaxed) &&
		    atomic_load_explicit(&q->ready, memory_order_acquire) == NULL &&
		    atomic_load_explicit(&ep_table[idx], memory_order_acquire) == q)
			return 0;
	}
	int err;
	struct tern_ep *ep = ep_get(epfd, &err);
	if (ep == NULL)
		return sock_fail(-err);
	uint64_t deadline = poll_deadline(timeout_ms);
	int n = 0;
	for (unsigned spins = 0;; spins++) {
		/* acquire: a signal after this load changes seq. */
		uint32_t seen = atomic_load_explicit(&ep->wt.seq, memory_order_acquire);
		pthread_mutex_lock(&ep->mtx);
		n = ep_look(ep, events, maxevents);
		bool drive = ep->ninline > 0;
		bool kernel = ep->nkernel > 0;
		ep_unlock(ep);
		if (n > 0 || timeout_ms == 0)
			break;
		/* acquire: pairs with the closer's store. */
		if (atomic_load_explicit(&ep->closed, memory_order_acquire)) {
			ep_put(ep);
			return sock_fail(EBADF);
		}
		struct pollfd kfds[2] = { { .fd = ep->kfd, .events = POLLIN } };
		if (drive && !kernel) {
			/* Nothing was ready at the look, and only a watch can
			 * change that: every socket event runs one, and each
			 * bumps seq. So drive the stacks and look again only once
			 * seq moves, rather than take the mutex and harvest on
			 * every turn: the turn is shorter, and an echo loop sees
			 * its event that much sooner. */
			bool more;
			while ((more = waiter_block(&ep->wt, seen, deadline, spins, true, kfds, 0)) &&
			       /* acquire: as the load of seen above. */
			       atomic_load_explicit(&ep->wt.seq, memory_order_acquire) == seen &&
			       !atomic_load_explicit(&ep->closed, memory_order_acquire))
				;
			if (!more)
				break;
			continue;
		}
		if (!waiter_block(&ep->wt, seen, deadline, spins, drive, kfds, kernel ? 1 : 0))
			break;
		if (kernel && ep->xfd < 0)
			waiter_drain(&ep->wt);
	}
	ep_put(ep);
	return n;
}

int
tern_epoll_kernel_fd(int epfd)
{
	int err;
	struct tern_ep *ep = ep_get(epfd, &err);
	if (ep == NULL)
		return sock_fail(-err);
	int rc = 0;
	pthread_mutex_lock(&ep->mtx);
	if (ep->xfd < 0) {
		int xfd = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event e1 = { .events = EPOLLIN, .data.fd = ep->wt.evfd };
		struct epoll_event e2 = { .events = EPOLLIN, .data.fd = ep->kfd };
		if (xfd < 0 || epoll_ctl(xfd, EPOLL_CTL_ADD, ep->wt.evfd, &e1) != 0 ||
		    (ep->kfd >= 0 && epoll_ctl(xfd, EPOLL_CTL_ADD, ep->kfd, &e2) != 0)) {
			rc = -errno;
			if (xfd >= 0)
				close(xfd);
		} else {
			ep->xfd = xfd;
			/* Always armed from now on: the application may be
			 * asleep on the exported descriptor at any time. */
			atomic_fetch_add_explicit(&ep->wt.kernel_armed, 1, memory_order_seq_cst);
			if (ep_pending(ep))
				waiter_signal(&ep->wt);
		}
	}
	int fd = ep->xfd;
	ep_unlock(ep);
	ep_put(ep);
	return rc == 0 ? fd : sock_fail(-rc);
}

/* ---- close ---- */

int
epoll_close(int fd)
{
	int idx = ep_index(fd);
	if (idx < 0)
		return -EBADF;
	/* acquire: as ep_get(). */
	struct tern_ep *ep = atomic_load_explicit(&ep_table[idx], memory_order_acquire);
	if (ep == NULL ||
	    /* seq_cst: the unpublish half of ep_get()'s Dekker. */
	    !atomic_compare_exchange_strong_explicit(&ep_table[idx], &ep, NULL,
						     memory_order_seq_cst,
						     memory_order_relaxed))
		return -EBADF;
	/* release: waiters that see it return EBADF. */
	atomic_store_explicit(&ep->closed, true, memory_order_release);
	/* Wake sleepers so they notice; then wait until no call is inside. */
	atomic_fetch_add_explicit(&ep->wt.kernel_armed, 1, memory_order_seq_cst);
	waiter_signal(&ep->wt);
	/* acquire: pairs with ep_put()'s release. */
	while (atomic_load_explicit(&ep->refs, memory_order_acquire) != 0) {
		waiter_signal(&ep->wt);
		sched_yield();
	}

	pthread_mutex_lock(&ep->mtx);
	/* Unlink every entry from its socket first: then no watch can push
	 * or signal any more, and what is queued can be freed. */
	for (unsigned c = 0; c < EP_CHUNKS; c++) {
		if (ep->chunk[c] == NULL)
			continue;
		for (unsigned i = 0; i < EP_CHUNK; i++) {
			struct epitem *it = ep->chunk[c][i];
			if (it != NULL)
				tern_chan_watch_del(&it->s->chan, &it->w);
		}
	}
	take_ready(ep);   /* frees zombies, parks live entries on the list */
	for (unsigned c = 0; c < EP_CHUNKS; c++) {
		if (ep->chunk[c] == NULL)
			continue;
		for (unsigned i = 0; i < EP_CHUNK; i++)
			free(ep->chunk[c][i]);
		free(ep->chunk[c]);
		ep->chunk[c] = NULL;
	}
	while (ep->zombies.next != &ep->zombies) {   /* none left: belt and braces */
		struct epitem *z = ITEM_OF(ep->zombies.next, zl);
		link_del(&z->zl);
		free(z);
	}
	link_init(&ep->rdl);
	if (ep->kfd >= 0)
		close(ep->kfd);
	if (ep->xfd >= 0)
		close(ep->xfd);
	close(ep->wt.evfd);
	ep->kfd = ep->xfd = ep->wt.evfd = -1;
	ep_unlock(ep);

	sock_fd_release((uint32_t)idx);
	pthread_mutex_lock(&ep_free_lock);
	ep->free_next = ep_free;
	ep_free = ep;
	pthread_mutex_unlock(&ep_free_lock);
	return 0;
}
