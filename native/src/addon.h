// Declarations shared by the files of the tsovs native addon: argument checks and errors (args.c), the
// table of memory regions (region.c), and the JS functions each file exports. The addon only maps system
// calls to JS; every decision about what to send, when, and what a failure means is made in TypeScript.
#ifndef TSOVS_ADDON_H
#define TSOVS_ADDON_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Returns NULL from the calling N-API function when `expr` fails (an exception is then pending).
#define TRY(env, expr)                                                                             \
  do {                                                                                             \
    if (napi_failed((env), (expr))) return NULL;                                                   \
  } while (0)

// ---- args.c: arguments, results and errors ----

// True when `st` is a failure; makes sure a JS exception is pending in that case.
bool napi_failed(napi_env env, napi_status st);
// Throws Error{code: errno name, syscall, errno, reason: strerror} "call on subject: strerror"; returns NULL.
napi_value throw_errno(napi_env env, int err, const char *call, const char *subject);
// Throws RangeError{code: 'EINVAL'} with a formatted message; returns NULL for `return`.
napi_value throw_invalid(napi_env env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Reads the callback's arguments into argv (missing ones are undefined); false if that failed.
bool get_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv);
// Reads a non-negative integer no greater than `max`; throws and returns false otherwise.
bool arg_u32(napi_env env, napi_value v, const char *what, uint32_t max, uint32_t *out);
// Reads an integer in [min, max]; throws and returns false otherwise.
bool arg_i32(napi_env env, napi_value v, const char *what, int32_t min, int32_t max, int32_t *out);
// Reads a boolean; throws and returns false otherwise.
bool arg_bool(napi_env env, napi_value v, const char *what, bool *out);
// Reads an interface name (1..IFNAMSIZ-1 bytes) into `name` (IFNAMSIZ bytes).
bool arg_ifname(napi_env env, napi_value v, char *name);
// Reads a string of at most size-1 bytes into `buf`.
bool arg_string(napi_env env, napi_value v, const char *what, char *buf, size_t size);
// Reads a Uint32Array: its data and element count.
bool arg_u32_array(napi_env env, napi_value v, const char *what, uint32_t **data, size_t *len);
// Reads a function.
bool arg_function(napi_env env, napi_value v, const char *what);
// Sets obj[key] = number; false if that failed.
bool set_number(napi_env env, napi_value obj, const char *key, double value);
// Returns a JS number (NULL if that failed).
napi_value make_number(napi_env env, double value);
// Formats "fd N" into buf (the subject of an error about a file descriptor).
const char *fd_subject(char *buf, size_t size, int fd);

// ---- region.c: memory that send calls may reference by id ----

// One mapping: anonymous memory from regionCreate, or a packet socket's rx ring.
struct region {
  uint8_t *base;
  size_t size;
  int ring_fd;      // the packet socket whose ring this is, or -1
  napi_env env;     // the env whose ArrayBuffer views it
  napi_ref buffer;  // weak reference to that ArrayBuffer (detached when the region is freed)
};

// Registers a mapping as a region and makes an external ArrayBuffer over it; returns its id or -1.
int region_add(napi_env env, void *base, size_t size, int ring_fd, napi_value *buffer);
// The region with id `id`, or NULL when there is none.
struct region *region_get(int64_t id);
// Detaches the region's ArrayBuffer, unmaps the memory and frees the id.
void region_release(napi_env env, int id);
// The id of the ring region of packet socket `fd`, or -1.
int region_of_ring(int fd);
// Releases every region `env` made (the env is going away).
void region_release_env(napi_env env);
// Checks that [offset, offset+length) lies inside region `id`; throws EINVAL otherwise.
bool region_check(napi_env env, int64_t id, uint64_t offset, uint64_t length, struct region **out);
// Reads `count` (region, offset, length) triples from a Uint32Array and checks every one against its
// region (length > 0, inside the region); throws EINVAL otherwise.
bool arg_descs(napi_env env, napi_value descs, napi_value count, uint32_t **triples, uint32_t *n);

// ---- poll.c ----
// Stops every poll `env` has on `fd` (before the descriptor is closed).
void poll_stop_fd(napi_env env, int fd);
// Stops every poll `env` started (the env is going away).
void poll_stop_env(napi_env env);

// ---- exported functions ----
napi_value js_region_create(napi_env env, napi_callback_info info);
napi_value js_region_free(napi_env env, napi_callback_info info);
napi_value js_malloc_trim(napi_env env, napi_callback_info info);
napi_value js_if_link_settings(napi_env env, napi_callback_info info);
napi_value js_packet_open(napi_env env, napi_callback_info info);
napi_value js_packet_send(napi_env env, napi_callback_info info);
napi_value js_packet_recv(napi_env env, napi_callback_info info);
napi_value js_packet_stats(napi_env env, napi_callback_info info);
napi_value js_sock_error(napi_env env, napi_callback_info info);
napi_value js_tap_open(napi_env env, napi_callback_info info);
napi_value js_tap_read(napi_env env, napi_callback_info info);
napi_value js_tap_write(napi_env env, napi_callback_info info);
napi_value js_poll_start(napi_env env, napi_callback_info info);
napi_value js_poll_stop(napi_env env, napi_callback_info info);
napi_value js_close_fd(napi_env env, napi_callback_info info);
napi_value js_if_info(napi_env env, napi_callback_info info);
napi_value js_if_set_up(napi_env env, napi_callback_info info);
napi_value js_if_set_mtu(napi_env env, napi_callback_info info);
napi_value js_if_set_mac(napi_env env, napi_callback_info info);
napi_value js_netlink_open(napi_env env, napi_callback_info info);
napi_value js_netlink_recv(napi_env env, napi_callback_info info);
napi_value js_netlink_send(napi_env env, napi_callback_info info);
napi_value js_udp_open(napi_env env, napi_callback_info info);
napi_value js_raw_open(napi_env env, napi_callback_info info);
napi_value js_dgram_recv(napi_env env, napi_callback_info info);
napi_value js_dgram_send(napi_env env, napi_callback_info info);

#endif
