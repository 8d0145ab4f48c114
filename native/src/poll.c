// Event-loop integration: a uv_poll on a file descriptor, on the loop of the env that asked, calling a JS
// function whenever the descriptor is readable. The call goes through napi_make_callback, so microtasks
// and process.nextTick run after it as after any other I/O callback, and an exception it throws takes
// Node's uncaught-exception path instead of being lost or crashing the process.
#include <pthread.h>
#include <stdlib.h>
#include <uv.h>

#include "addon.h"

#define MAX_POLLS 1024

// One watcher. The uv handle is freed in its close callback, after the slot has been reused perhaps.
struct poller {
  uv_poll_t handle;
  napi_env env;
  int fd;
  int id;
  bool active;
  napi_ref callback;
  napi_async_context context;
};

static struct poller *polls[MAX_POLLS];
static pthread_mutex_t polls_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_closed(uv_handle_t *h) {
  free(h->data);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  struct poller *p = h->data;
  if (!p->active) return;
  napi_env env = p->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn = NULL, recv, arg, result;
  if (napi_get_reference_value(env, p->callback, &fn) == napi_ok && fn != NULL &&
      napi_get_global(env, &recv) == napi_ok && napi_create_int32(env, status, &arg) == napi_ok) {
    // `status` is 0, or a negative libuv error after which libuv has stopped watching the descriptor.
    napi_status st = napi_make_callback(env, p->context, recv, fn, 1, &arg, &result);
    bool pending = false;
    napi_value exception;
    if (st != napi_ok && napi_is_exception_pending(env, &pending) == napi_ok && pending &&
        napi_get_and_clear_last_exception(env, &exception) == napi_ok)
      napi_fatal_exception(env, exception);
  }
  napi_close_handle_scope(env, scope);
}

// Stops watching and lets go of the JS function; the handle itself is freed once libuv has closed it.
static void stop_poller(struct poller *p, bool env_alive) {
  p->active = false;
  uv_poll_stop(&p->handle);
  if (env_alive) {
    napi_delete_reference(p->env, p->callback);
    napi_async_destroy(p->env, p->context);
  }
  uv_close((uv_handle_t *)&p->handle, on_closed);
}

static int take_slot(struct poller *p) {
  int id = -1;
  pthread_mutex_lock(&polls_lock);
  for (int i = 0; i < MAX_POLLS && id < 0; i++)
    if (polls[i] == NULL) id = i;
  if (id >= 0) polls[id] = p;
  pthread_mutex_unlock(&polls_lock);
  return id;
}

static struct poller *new_poller(napi_env env, int fd, napi_value fn) {
  struct poller *p = calloc(1, sizeof *p);
  napi_value name;
  if (p == NULL) {
    napi_throw_error(env, "ENOMEM", "pollStart: out of memory");
    return NULL;
  }
  p->env = env;
  p->fd = fd;
  p->handle.data = p;
  if (napi_failed(env, napi_create_string_utf8(env, "tsovs.poll", NAPI_AUTO_LENGTH, &name)) ||
      napi_failed(env, napi_async_init(env, NULL, name, &p->context))) {
    free(p);
    return NULL;
  }
  if (napi_failed(env, napi_create_reference(env, fn, 1, &p->callback))) {
    napi_async_destroy(env, p->context);
    free(p);
    return NULL;
  }
  return p;
}

// pollStart(fd, onReadable(status)) → handle: calls onReadable(0) while fd is readable; after an error
// onReadable(negative libuv errno) is called once and the poll is over (stop it and start a new one).
napi_value js_poll_start(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  if (!get_args(env, info, 2, argv) || !arg_i32(env, argv[0], "fd", 0, INT32_MAX, &fd) ||
      !arg_function(env, argv[1], "onReadable"))
    return NULL;
  uv_loop_t *loop;
  TRY(env, napi_get_uv_event_loop(env, &loop));
  struct poller *p = new_poller(env, fd, argv[1]);
  if (p == NULL) return NULL;
  char subject[32];
  int err = uv_poll_init(loop, &p->handle, fd);
  if (err == 0) {
    p->active = true;
    err = uv_poll_start(&p->handle, UV_READABLE, on_poll);
    if (err != 0) stop_poller(p, true);  // initialised: must go through uv_close
  } else {
    napi_delete_reference(env, p->callback);
    napi_async_destroy(env, p->context);
    free(p);
  }
  if (err != 0) return throw_errno(env, -err, "uv_poll_start", fd_subject(subject, sizeof subject, fd));
  p->id = take_slot(p);
  if (p->id < 0) {
    stop_poller(p, true);
    return throw_invalid(env, "too many polls (at most %d)", MAX_POLLS);
  }
  return make_number(env, p->id);
}

// pollStop(handle): stops a poll; the callback is not called again.
napi_value js_poll_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t id;
  if (!get_args(env, info, 1, argv) || !arg_i32(env, argv[0], "handle", 0, MAX_POLLS - 1, &id)) return NULL;
  pthread_mutex_lock(&polls_lock);
  struct poller *p = polls[id];
  if (p != NULL && p->env == env) polls[id] = NULL;
  pthread_mutex_unlock(&polls_lock);
  if (p == NULL || p->env != env) return throw_invalid(env, "no poll %d", id);
  stop_poller(p, true);
  return NULL;
}

// Removes and stops the polls `match` selects.
static void stop_matching(bool (*match)(struct poller *, const void *), const void *arg, bool env_alive) {
  pthread_mutex_lock(&polls_lock);
  for (int i = 0; i < MAX_POLLS; i++) {
    if (polls[i] == NULL || !match(polls[i], arg)) continue;
    stop_poller(polls[i], env_alive);
    polls[i] = NULL;
  }
  pthread_mutex_unlock(&polls_lock);
}

struct env_fd {
  napi_env env;
  int fd;
};

static bool same_env_fd(struct poller *p, const void *arg) {
  const struct env_fd *k = arg;
  return p->env == k->env && p->fd == k->fd;
}

static bool same_env(struct poller *p, const void *env) {
  return p->env == env;
}

void poll_stop_fd(napi_env env, int fd) {
  struct env_fd k = {env, fd};
  stop_matching(same_env_fd, &k, true);
}

void poll_stop_env(napi_env env) {
  stop_matching(same_env, env, false);
}
