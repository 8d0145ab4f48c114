// TAP devices for internal ports: creating one with a virtio-net header and offloads, reading frames into
// region slots, and writing frames from regions. Each frame starts with its 10-byte virtio-net header.
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "addon.h"

// UDP segmentation offload flags (Linux 6.2); older headers lack them.
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

#define VNET_HDR_SIZE 10

static napi_value tap_failed(napi_env env, int fd, const char *call, const char *name) {
  int err = errno;
  close(fd);
  return throw_errno(env, err, call, name);
}

// tapOpen(name) → {fd, ifindex, name}: a non-persistent TAP (gone when the fd closes).
napi_value js_tap_open(napi_env env, napi_callback_info info) {
  napi_value argv[1], result, name_value;
  char name[IFNAMSIZ];
  if (!get_args(env, info, 1, argv) || !arg_ifname(env, argv[0], name)) return NULL;
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "open(/dev/net/tun)", name);
  struct ifreq ifr = {0};
  memcpy(ifr.ifr_name, name, IFNAMSIZ);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) return tap_failed(env, fd, "ioctl(TUNSETIFF)", name);
  int hdr = VNET_HDR_SIZE;
  if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) return tap_failed(env, fd, "ioctl(TUNSETVNETHDRSZ)", name);
  unsigned offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
  // Kernels before 6.2 refuse the USO flags with EINVAL: then offer TCP offloads only.
  if (ioctl(fd, TUNSETOFFLOAD, offloads | TUN_F_USO4 | TUN_F_USO6) < 0 &&
      (errno != EINVAL || ioctl(fd, TUNSETOFFLOAD, offloads) < 0))
    return tap_failed(env, fd, "ioctl(TUNSETOFFLOAD)", name);
  // TUNSETIFF wrote back the device's name; its ifindex comes from the usual interface ioctl.
  struct ifreq q = {0};
  memcpy(q.ifr_name, ifr.ifr_name, IFNAMSIZ);
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return tap_failed(env, fd, "socket(AF_INET)", name);
  int r = ioctl(s, SIOCGIFINDEX, &q);
  int err = errno;
  close(s);
  errno = err;
  if (r < 0) return tap_failed(env, fd, "ioctl(SIOCGIFINDEX)", name);
  if (napi_failed(env, napi_create_object(env, &result)) || !set_number(env, result, "fd", fd) ||
      !set_number(env, result, "ifindex", q.ifr_ifindex) ||
      napi_failed(env, napi_create_string_utf8(env, q.ifr_name, NAPI_AUTO_LENGTH, &name_value)) ||
      napi_failed(env, napi_set_named_property(env, result, "name", name_value))) {
    close(fd);
    return NULL;
  }
  return result;
}

// tapRead(fd, region, offsets, lengths, max, slotLen) → count: one read() per frame until EAGAIN or
// `max`; frame i (virtio-net header first) lands at offsets[i], its length goes to lengths[i].
napi_value js_tap_read(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  int32_t fd, region;
  uint32_t *offsets, *lengths, max, slot_len;
  size_t n_off, n_len;
  struct region *r;
  if (!get_args(env, info, 6, argv) || !arg_i32(env, argv[0], "fd", 0, INT32_MAX, &fd) ||
      !arg_i32(env, argv[1], "region", 0, INT32_MAX, &region) ||
      !arg_u32_array(env, argv[2], "offsets", &offsets, &n_off) ||
      !arg_u32_array(env, argv[3], "lengths", &lengths, &n_len) ||
      !arg_u32(env, argv[4], "max", 65536, &max) || !arg_u32(env, argv[5], "slotLen", UINT32_MAX, &slot_len))
    return NULL;
  if (max > n_off || max > n_len)
    return throw_invalid(env, "max %u exceeds offsets (%zu) or lengths (%zu)", max, n_off, n_len);
  if (slot_len < VNET_HDR_SIZE) return throw_invalid(env, "slotLen %u is shorter than a vnet header", slot_len);
  uint32_t count = 0;
  while (count < max) {
    if (!region_check(env, region, offsets[count], slot_len, &r)) return NULL;
    ssize_t n = read(fd, r->base + offsets[count], slot_len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && count == 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      char subject[32];
      return throw_errno(env, errno, "read", fd_subject(subject, sizeof subject, fd));
    }
    if (n <= 0) break;
    lengths[count++] = (uint32_t)n;
  }
  return make_number(env, count);
}

// tapWrite(fd, descs, count) → sent: one write() per frame. TAP has no batch call (writev would join the
// iovecs into one frame), so a batch costs one system call per frame here.
napi_value js_tap_write(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd;
  uint32_t *d, count;
  if (!get_args(env, info, 3, argv) || !arg_i32(env, argv[0], "fd", 0, INT32_MAX, &fd) ||
      !arg_descs(env, argv[1], argv[2], &d, &count))
    return NULL;
  uint32_t sent = 0;
  for (uint32_t i = 0; i < count; i++) {
    const uint32_t *t = d + (size_t)i * 3;
    ssize_t n = write(fd, region_get(t[0])->base + t[1], t[2]);
    if (n < 0 && errno == EINTR) {
      i--;
      continue;
    }
    if (n >= 0) {
      sent++;
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) break;
    if (errno == EBADF || errno == EBADFD) {
      char subject[32];
      return throw_errno(env, errno, "write", fd_subject(subject, sizeof subject, fd));
    }
    // Any other error rejects this one frame (a bad vnet header, the device down): go on with the rest.
  }
  return make_number(env, sent);
}
