// rtnetlink sockets for the link monitor (Open vSwitch's netdev-linux listens the same way): open a
// NETLINK_ROUTE socket subscribed to multicast groups, receive every pending datagram into a buffer the
// caller owns, and send a request (an RTM_GETLINK dump) to the kernel. The bytes are not parsed here:
// src/netdev/link-monitor.ts decodes them. Readiness is pollStart(fd) and closing is closeFd(fd).
#include <errno.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addon.h"

#define SUBJECT "NETLINK_ROUTE socket"

// Reads a Uint8Array: its data and byte length.
static bool arg_u8_array(napi_env env, napi_value v, const char *what, uint8_t **data, size_t *len) {
  bool is_typed = false;
  if (napi_failed(env, napi_is_typedarray(env, v, &is_typed))) return false;
  napi_typedarray_type type = napi_int8_array;
  void *ptr = NULL;
  if (is_typed && napi_failed(env, napi_get_typedarray_info(env, v, &type, len, &ptr, NULL, NULL))) return false;
  if (!is_typed || type != napi_uint8_array) {
    throw_invalid(env, "%s must be a Uint8Array", what);
    return false;
  }
  *data = ptr;
  return true;
}

static napi_value open_failed(napi_env env, int fd, const char *call) {
  int err = errno;
  close(fd);
  return throw_errno(env, err, call, SUBJECT);
}

// netlinkOpen(groups, rcvbuf) → {fd, portId}: a non-blocking NETLINK_ROUTE socket bound to the RTMGRP_*
// bitmask `groups`, in the calling thread's network namespace, with a receive buffer of `rcvbuf` bytes
// (SO_RCVBUFFORCE, or SO_RCVBUF capped by net.core.rmem_max without CAP_NET_ADMIN; 0 keeps the default).
napi_value js_netlink_open(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  uint32_t groups, rcvbuf;
  if (!get_args(env, info, 2, argv) || !arg_u32(env, argv[0], "groups", UINT32_MAX, &groups) ||
      !arg_u32(env, argv[1], "rcvbuf", INT32_MAX, &rcvbuf))
    return NULL;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return throw_errno(env, errno, "socket(AF_NETLINK)", SUBJECT);
  int size = (int)rcvbuf;
  if (size > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) < 0)
    return open_failed(env, fd, "setsockopt(SO_RCVBUF)");
  struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_pid = 0, .nl_groups = groups};
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) return open_failed(env, fd, "bind(AF_NETLINK)");
  // The kernel chose the port id (nl_pid) that replies to our requests are addressed to.
  socklen_t addr_len = sizeof addr;
  if (getsockname(fd, (struct sockaddr *)&addr, &addr_len) < 0) return open_failed(env, fd, "getsockname");
  if (napi_failed(env, napi_create_object(env, &result)) || !set_number(env, result, "fd", fd) ||
      !set_number(env, result, "portId", addr.nl_pid)) {
    close(fd);
    return NULL;
  }
  return result;
}

// netlinkRecv(fd, buf, lengths, minRoom) → count, or -1 for ENOBUFS: one recv() per datagram until EAGAIN,
// until `lengths` is full, or until less than `minRoom` bytes of `buf` are left. The datagrams lie back to
// back from buf[0]; lengths[i] is datagram i's real length (MSG_TRUNC): when that exceeds the room it had,
// it was cut short, and it is the last one of the call. -1 means the kernel dropped messages for want of
// receive buffer (ENOBUFS): what this call had read is dropped too, and the caller must resync.
napi_value js_netlink_recv(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd;
  uint8_t *buf;
  uint32_t *lengths, min_room;
  size_t buf_len, n_len;
  if (!get_args(env, info, 4, argv) || !arg_i32(env, argv[0], "fd", 0, INT32_MAX, &fd) ||
      !arg_u8_array(env, argv[1], "buf", &buf, &buf_len) ||
      !arg_u32_array(env, argv[2], "lengths", &lengths, &n_len) ||
      !arg_u32(env, argv[3], "minRoom", UINT32_MAX, &min_room))
    return NULL;
  if (min_room == 0 || buf_len < min_room)
    return throw_invalid(env, "buf (%zu bytes) must hold at least minRoom (%u > 0) bytes", buf_len, min_room);
  size_t used = 0;
  uint32_t count = 0;
  while (count < n_len && buf_len - used >= min_room) {
    size_t room = buf_len - used;
    ssize_t n = recv(fd, buf + used, room, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ENOBUFS) return make_number(env, -1);
    if (n < 0 && count == 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      char subject[32];
      return throw_errno(env, errno, "recv(AF_NETLINK)", fd_subject(subject, sizeof subject, fd));
    }
    if (n < 0) break;
    lengths[count++] = (uint32_t)n;
    if ((size_t)n > room) break;  // truncated: it filled the buffer
    used += (size_t)n;
  }
  return make_number(env, count);
}

// netlinkSend(fd, buf, length): sends buf[0, length) to the kernel as one datagram (a request such as an
// RTM_GETLINK dump; its replies come back through netlinkRecv, addressed to this socket's port id).
napi_value js_netlink_send(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd;
  uint8_t *buf;
  size_t buf_len;
  uint32_t length;
  if (!get_args(env, info, 3, argv) || !arg_i32(env, argv[0], "fd", 0, INT32_MAX, &fd) ||
      !arg_u8_array(env, argv[1], "buf", &buf, &buf_len) ||
      !arg_u32(env, argv[2], "length", UINT32_MAX, &length))
    return NULL;
  if (length == 0 || length > buf_len)
    return throw_invalid(env, "length %u must be in [1, %zu] (the buffer's size)", length, buf_len);
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  ssize_t n;
  do n = sendto(fd, buf, length, 0, (struct sockaddr *)&kernel, sizeof kernel);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    char subject[32];
    return throw_errno(env, errno, "sendto(AF_NETLINK)", fd_subject(subject, sizeof subject, fd));
  }
  return NULL;
}
