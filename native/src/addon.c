// Entry point of the tsovs native addon: registers the JS functions and closing of descriptors. Loaded
// by src/netdev/native.ts, which gives every function its TypeScript type.
#include <errno.h>
#include <unistd.h>

#include "addon.h"

// closeFd(fd): stops this env's polls on fd, unmaps its packet ring (if it has one), closes it.
napi_value js_close_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !arg_i32(env, argv[0], "fd", 0, INT32_MAX, &fd)) return NULL;
  poll_stop_fd(env, fd);
  int ring = region_of_ring(fd);
  if (ring >= 0) region_release(env, ring);
  // Linux releases the descriptor even when close() reports EINTR, so it is never retried.
  if (close(fd) < 0 && errno != EINTR) {
    char subject[32];
    return throw_errno(env, errno, "close", fd_subject(subject, sizeof subject, fd));
  }
  return NULL;
}

static void on_env_cleanup(void *arg) {
  napi_env env = arg;
  poll_stop_env(env);
  region_release_env(env);
}

struct export {
  const char *name;
  napi_callback fn;
};

static const struct export exports_table[] = {
    {"regionCreate", js_region_create}, {"regionFree", js_region_free},   {"packetOpen", js_packet_open},
    {"packetSend", js_packet_send},     {"packetStats", js_packet_stats}, {"sockError", js_sock_error},
    {"tapOpen", js_tap_open},           {"tapRead", js_tap_read},         {"tapWrite", js_tap_write},
    {"pollStart", js_poll_start},       {"pollStop", js_poll_stop},       {"closeFd", js_close_fd},
    {"ifInfo", js_if_info},             {"ifSetUp", js_if_set_up},        {"ifSetMtu", js_if_set_mtu},
    {"ifSetMac", js_if_set_mac},        {"packetRecv", js_packet_recv},   {"ifLinkSettings", js_if_link_settings},
    {"netlinkOpen", js_netlink_open},   {"netlinkRecv", js_netlink_recv}, {"netlinkSend", js_netlink_send},
    {"udpOpen", js_udp_open},           {"rawOpen", js_raw_open},         {"dgramRecv", js_dgram_recv},
    {"dgramSend", js_dgram_send},       {"mallocTrim", js_malloc_trim},
};

static napi_value init(napi_env env, napi_value exports) {
  for (size_t i = 0; i < sizeof exports_table / sizeof exports_table[0]; i++) {
    napi_value fn;
    TRY(env, napi_create_function(env, exports_table[i].name, NAPI_AUTO_LENGTH, exports_table[i].fn, NULL, &fn));
    TRY(env, napi_set_named_property(env, exports, exports_table[i].name, fn));
  }
  TRY(env, napi_add_env_cleanup_hook(env, on_env_cleanup, env));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
