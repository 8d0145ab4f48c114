// AF_PACKET ports: opening a raw socket with a TPACKET_V2 receive ring mapped into a region, and sending
// batches of frames with one sendmmsg whose iovecs point straight into region memory (zero copy).
//
// Why TPACKET_V2 and not V3: a V3 block is handed to user space only when it is full or when its retire
// timer (1 ms at the least) fires, which would add milliseconds to every ping through the switch. V2 hands
// over each frame as it lands and wakes the poller per packet; JS still reads the frames straight from the
// ring, with no system call per packet.
#include <errno.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addon.h"

// Largest ring one socket may map (a sanity bound; the kernel has its own).
#define MAX_RING_BYTES ((uint64_t)1 << 30)
// Send buffer asked for, so a batch of GSO super-frames is never refused for want of buffer space.
#define SNDBUF_BYTES (8 << 20)
// sendmmsg takes at most this many messages per call (the kernel's UIO_MAXIOV).
#define MMSG_MAX 1024

static _Thread_local struct mmsghdr mmsgs[MMSG_MAX];
static _Thread_local struct iovec iovs[MMSG_MAX];

static int set_int_opt(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value);
}

// Closes a half-opened socket (and its mapping), keeping errno, and throws about `call`.
static napi_value open_failed(napi_env env, int fd, void *ring, size_t ring_len, const char *call,
                              const char *ifname) {
  int err = errno;
  if (ring != NULL) munmap(ring, ring_len);
  close(fd);
  return throw_errno(env, err, call, ifname);
}

struct ring_shape {
  uint32_t frame_size, frame_count, reserve, block_size;
};

static bool ring_args(napi_env env, napi_value *argv, struct ring_shape *s) {
  napi_valuetype t;
  if (!arg_u32(env, argv[1], "frameSize", 1u << 30, &s->frame_size) ||
      !arg_u32(env, argv[2], "frameCount", 1u << 20, &s->frame_count) ||
      !arg_u32(env, argv[3], "reserve", 1u << 16, &s->reserve) || napi_failed(env, napi_typeof(env, argv[4], &t)))
    return false;
  s->block_size = s->frame_size;
  if (t != napi_undefined && !arg_u32(env, argv[4], "blockSize", 1u << 30, &s->block_size)) return false;
  if (s->frame_size == 0 || s->frame_count == 0 || s->block_size < s->frame_size) {
    throw_invalid(env, "ring needs frameSize > 0, frameCount > 0 and blockSize >= frameSize");
    return false;
  }
  uint32_t per_block = s->block_size / s->frame_size;
  if (s->frame_count % per_block != 0 || (uint64_t)s->block_size * (s->frame_count / per_block) > MAX_RING_BYTES) {
    throw_invalid(env, "frameCount %u must be a multiple of %u frames per block, and the ring at most 1 GiB",
                  s->frame_count, per_block);
    return false;
  }
  return true;
}

// packetOpen(ifname, frameSize, frameCount, reserve, blockSize = frameSize) → {fd, region, ring, ifindex}
napi_value js_packet_open(napi_env env, napi_callback_info info) {
  napi_value argv[5], result, ring_buffer;
  char ifname[IFNAMSIZ];
  struct ring_shape s;
  if (!get_args(env, info, 5, argv) || !arg_ifname(env, argv[0], ifname) || !ring_args(env, argv, &s))
    return NULL;
  // Protocol 0: no frames are queued until bind() names the interface.
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket(AF_PACKET)", ifname);
  struct ifreq ifr = {0};
  memcpy(ifr.ifr_name, ifname, IFNAMSIZ);
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) return open_failed(env, fd, NULL, 0, "ioctl(SIOCGIFINDEX)", ifname);
  int ifindex = ifr.ifr_ifindex;
  if (set_int_opt(fd, SOL_PACKET, PACKET_VERSION, TPACKET_V2) < 0)
    return open_failed(env, fd, NULL, 0, "setsockopt(PACKET_VERSION)", ifname);
  if (set_int_opt(fd, SOL_PACKET, PACKET_VNET_HDR, 1) < 0)
    return open_failed(env, fd, NULL, 0, "setsockopt(PACKET_VNET_HDR)", ifname);
  if (set_int_opt(fd, SOL_PACKET, PACKET_RESERVE, (int)s.reserve) < 0)
    return open_failed(env, fd, NULL, 0, "setsockopt(PACKET_RESERVE)", ifname);
  uint32_t per_block = s.block_size / s.frame_size;
  struct tpacket_req req = {s.block_size, s.frame_count / per_block, s.frame_size, s.frame_count};
  if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0)
    return open_failed(env, fd, NULL, 0, "setsockopt(PACKET_RX_RING)", ifname);
  size_t ring_len = (size_t)req.tp_block_size * req.tp_block_nr;
  void *ring = mmap(NULL, ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (ring == MAP_FAILED) return open_failed(env, fd, NULL, 0, "mmap(PACKET_RX_RING)", ifname);
  if (set_int_opt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1) < 0)
    return open_failed(env, fd, ring, ring_len, "setsockopt(PACKET_IGNORE_OUTGOING)", ifname);
  if (set_int_opt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1) < 0)
    return open_failed(env, fd, ring, ring_len, "setsockopt(PACKET_QDISC_BYPASS)", ifname);
  // SO_SNDBUFFORCE passes net.core.wmem_max but needs CAP_NET_ADMIN; SO_SNDBUF is capped by it.
  if (set_int_opt(fd, SOL_SOCKET, SO_SNDBUFFORCE, SNDBUF_BYTES) < 0 &&
      set_int_opt(fd, SOL_SOCKET, SO_SNDBUF, SNDBUF_BYTES) < 0)
    return open_failed(env, fd, ring, ring_len, "setsockopt(SO_SNDBUF)", ifname);
  struct sockaddr_ll addr = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = ifindex};
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    return open_failed(env, fd, ring, ring_len, "bind(AF_PACKET)", ifname);
  // A switch port sees every frame on the wire: promiscuous for as long as this socket lives.
  struct packet_mreq mreq = {.mr_ifindex = ifindex, .mr_type = PACKET_MR_PROMISC};
  if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0)
    return open_failed(env, fd, ring, ring_len, "setsockopt(PACKET_ADD_MEMBERSHIP)", ifname);
  int region = region_add(env, ring, ring_len, fd, &ring_buffer);
  if (region < 0) {
    munmap(ring, ring_len);
    close(fd);
    return NULL;
  }
  if (napi_failed(env, napi_create_object(env, &result)) || !set_number(env, result, "fd", fd) ||
      !set_number(env, result, "region", region) || !set_number(env, result, "ifindex", ifindex) ||
      napi_failed(env, napi_set_named_property(env, result, "ring", ring_buffer))) {
    region_release(env, region);
    close(fd);
    return NULL;
  }
  return result;
}

// Whether a sendmmsg error ends the batch (the device or socket cannot take more now) rather than
// rejecting one message.
static bool ends_batch(int err) {
  return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS || err == ENETDOWN || err == ENXIO ||
         err == ENODEV;
}

// Whether a sendmmsg error means the call itself is wrong (not a socket we can send on).
static bool bad_call(int err) {
  return err == EBADF || err == ENOTSOCK || err == EDESTADDRREQ || err == EOPNOTSUPP;
}

// Sends msgs[0..n); returns how many the kernel took, -1 (errno set) for a bad call; `*stop` on
// a batch-ending error.
static int send_chunk(int fd, unsigned n, bool *stop) {
  unsigned done = 0;
  int sent = 0;
  while (done < n) {
    int r = sendmmsg(fd, mmsgs + done, n - done, MSG_DONTWAIT);
    if (r > 0) {
      sent += r;
      done += (unsigned)r;
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else if (r < 0 && bad_call(errno)) {
      return -1;
    } else if (r == 0 || ends_batch(errno)) {
      *stop = true;
      break;
    } else {
      done++;  // the kernel rejected this one message (bad vnet header, too big, ...): skip it
    }
  }
  return sent;
}

// packetSend(fd, descs, count) → sent: one sendmmsg for `count` (region, offset, length) frames, each
// starting with its virtio-net header.
napi_value js_packet_send(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd;
  uint32_t *d, count;
  if (!get_args(env, info, 3, argv) || !arg_i32(env, argv[0], "fd", 0, INT32_MAX, &fd) ||
      !arg_descs(env, argv[1], argv[2], &d, &count))
    return NULL;
  uint32_t sent = 0;
  bool stop = false;
  for (uint32_t first = 0; first < count && !stop; first += MMSG_MAX) {
    unsigned n = count - first < MMSG_MAX ? count - first : MMSG_MAX;
    for (unsigned i = 0; i < n; i++) {
      const uint32_t *t = d + (size_t)(first + i) * 3;
      iovs[i] = (struct iovec){region_get(t[0])->base + t[1], t[2]};
      mmsgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iovs[i], .msg_iovlen = 1}};
    }
    int r = send_chunk(fd, n, &stop);
    char subject[32];
    if (r < 0) return throw_errno(env, errno, "sendmmsg", fd_subject(subject, sizeof subject, fd));
    sent += (uint32_t)r;
  }
  return make_number(env, sent);
}

// packetStats(fd) → {packets, drops}: the ring's counters since the last call (reading resets them).
napi_value js_packet_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !arg_i32(env, argv[0], "fd", 0, INT32_MAX, &fd)) return NULL;
  struct tpacket_stats st = {0};
  socklen_t len = sizeof st;
  char subject[32];
  if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
    return throw_errno(env, errno, "getsockopt(PACKET_STATISTICS)", fd_subject(subject, sizeof subject, fd));
  TRY(env, napi_create_object(env, &result));
  if (!set_number(env, result, "packets", st.tp_packets) || !set_number(env, result, "drops", st.tp_drops))
    return NULL;
  return result;
}

// sockError(fd) → errno: reads and clears the socket's pending error (0 when none).
napi_value js_sock_error(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !arg_i32(env, argv[0], "fd", 0, INT32_MAX, &fd)) return NULL;
  int err = 0;
  socklen_t len = sizeof err;
  char subject[32];
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
    return throw_errno(env, errno, "getsockopt(SO_ERROR)", fd_subject(subject, sizeof subject, fd));
  return make_number(env, err);
}
