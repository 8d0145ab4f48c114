// AF_PACKET ports: opening a raw socket with a TPACKET_V2 receive ring mapped into a region, and sending
// batches of frames with one sendmmsg whose iovecs point straight into region memory (zero copy).
//
// Why TPACKET_V2 and not V3: a V3 block is handed to user space only when it is full or when its retire
// timer (1 ms at the least) fires, which would add milliseconds to every ping through the switch. V2 hands
// over each frame as it lands and wakes the poller per packet; JS still reads the frames straight from the
// ring, with no system call per packet.
//
// Why small ring slots: the kernel maps every slot at mmap, so the ring is resident whatever the traffic.
// Slots sized for an MTU-1500 frame keep it at about 2 MiB per port; a frame that does not fit its slot (a
// GSO super-frame from a veth or TAP with its offloads on, a jumbo frame) is queued whole on the socket's
// ordinary receive queue instead (PACKET_COPY_THRESH), its slot marked TP_STATUS_COPY, and read from there
// with packetRecv (one recvmmsg for a run of them) — kernel memory that is used only while they wait.
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
// Receive buffer asked for: room on the receive queue for frames too big for a ring slot (PACKET_COPY_THRESH).
// tpacket_rcv queues one while the memory charged to the socket is under the limit (the kernel doubles the
// value asked for, to allow for its overhead), so several dozen 64 KiB super-frames may wait while JS is
// busy; past that they are truncated in the ring and counted as dropped.
#define RCVBUF_BYTES (4 << 20)
// The virtio-net header the kernel puts before each frame (PACKET_VNET_HDR).
#define VNET_HDR_BYTES 10
// Most frames one packetRecv takes.
#define RECV_MAX 64
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
  // Any frame longer than its ring slot is also queued whole on the receive queue (TPACKET_V1/V2 only);
  // the slot gets the truncated copy, marked TP_STATUS_COPY, in its place in the ring's order.
  if (set_int_opt(fd, SOL_PACKET, PACKET_COPY_THRESH, 1) < 0)
    return open_failed(env, fd, NULL, 0, "setsockopt(PACKET_COPY_THRESH)", ifname);
  // SO_RCVBUFFORCE passes net.core.rmem_max but needs CAP_NET_ADMIN; SO_RCVBUF is capped by it.
  if (set_int_opt(fd, SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF_BYTES) < 0 &&
      set_int_opt(fd, SOL_SOCKET, SO_RCVBUF, RCVBUF_BYTES) < 0)
    return open_failed(env, fd, NULL, 0, "setsockopt(SO_RCVBUF)", ifname);
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

// packetRecv(fd, region, offsets, lengths, max, slotLen) → count: one recvmmsg of up to `max` frames from
// the socket's receive queue — frames too big for their ring slot, queued whole by the kernel
// (PACKET_COPY_THRESH) in ring order. Frame i lands at offsets[i] in `region`, its virtio-net header first as
// in the ring (at most slotLen bytes); its whole length with that header goes to lengths[i] (MSG_TRUNC: more
// than slotLen means it was cut short). Returns the count, 0 when nothing is queued.
napi_value js_packet_recv(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  int32_t fd, region;
  uint32_t *offsets, *lengths, max, slot_len;
  size_t n_off, n_len;
  if (!get_args(env, info, 6, argv) || !arg_i32(env, argv[0], "fd", 0, INT32_MAX, &fd) ||
      !arg_i32(env, argv[1], "region", 0, INT32_MAX, &region) ||
      !arg_u32_array(env, argv[2], "offsets", &offsets, &n_off) ||
      !arg_u32_array(env, argv[3], "lengths", &lengths, &n_len) || !arg_u32(env, argv[4], "max", RECV_MAX, &max) ||
      !arg_u32(env, argv[5], "slotLen", UINT32_MAX, &slot_len))
    return NULL;
  if (max > n_off || max > n_len)
    return throw_invalid(env, "max %u exceeds offsets (%zu) or lengths (%zu)", max, n_off, n_len);
  // Shorter, and the kernel would fail the recv for want of room for the vnet header, dropping the frame.
  if (slot_len < VNET_HDR_BYTES) return throw_invalid(env, "slotLen %u is shorter than a vnet header", slot_len);
  struct mmsghdr msgs[RECV_MAX];
  struct iovec iovs[RECV_MAX];
  struct region *r;
  for (uint32_t i = 0; i < max; i++) {
    if (!region_check(env, region, offsets[i], slot_len, &r)) return NULL;
    iovs[i] = (struct iovec){r->base + offsets[i], slot_len};
    msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iovs[i], .msg_iovlen = 1}};
  }
  if (max == 0) return make_number(env, 0);
  bool retried = false;
  for (;;) {
    int n = recvmmsg(fd, msgs, max, MSG_DONTWAIT | MSG_TRUNC, NULL);
    if (n >= 0) {
      for (int i = 0; i < n; i++) lengths[i] = msgs[i].msg_len;
      return make_number(env, n);
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return make_number(env, 0);
    // The socket's pending error (ENETDOWN once its interface went down) is reported instead of the first
    // frame, and cleared by that: the frames are still queued, and the caller is waiting for them.
    if (errno == ENETDOWN && !retried) {
      retried = true;
      continue;
    }
    char subject[32];
    return throw_errno(env, errno, "recvmmsg", fd_subject(subject, sizeof subject, fd));
  }
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
