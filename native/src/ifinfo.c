// Interface attributes through the classic interface ioctls: ifindex, MTU, Ethernet address and flags,
// and setting the up flag, the MTU and the address. Each call opens a datagram socket only for the ioctl.
#include <errno.h>
#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addon.h"

// Runs one interface ioctl on `ifr` (whose name is set); returns 0 or an errno value.
static int if_ioctl(unsigned long request, struct ifreq *ifr) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  int err = ioctl(s, request, ifr) < 0 ? errno : 0;
  close(s);
  return err;
}

// Reads the interface name argument into a zeroed ifreq.
static bool ifreq_arg(napi_env env, napi_value v, struct ifreq *ifr) {
  *ifr = (struct ifreq){0};
  return arg_ifname(env, v, ifr->ifr_name);
}

// ifInfo(name) → {ifindex, mtu, mac, flags}; throws code ENODEV when there is no such device.
napi_value js_if_info(napi_env env, napi_callback_info info) {
  napi_value argv[1], result, mac_value;
  struct ifreq ifr;
  if (!get_args(env, info, 1, argv) || !ifreq_arg(env, argv[0], &ifr)) return NULL;
  int err;
  if ((err = if_ioctl(SIOCGIFINDEX, &ifr)) != 0) return throw_errno(env, err, "ioctl(SIOCGIFINDEX)", ifr.ifr_name);
  int ifindex = ifr.ifr_ifindex;
  if ((err = if_ioctl(SIOCGIFMTU, &ifr)) != 0) return throw_errno(env, err, "ioctl(SIOCGIFMTU)", ifr.ifr_name);
  int mtu = ifr.ifr_mtu;
  if ((err = if_ioctl(SIOCGIFHWADDR, &ifr)) != 0)
    return throw_errno(env, err, "ioctl(SIOCGIFHWADDR)", ifr.ifr_name);
  const unsigned char *a = (const unsigned char *)ifr.ifr_hwaddr.sa_data;
  char mac[18];
  snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
  if ((err = if_ioctl(SIOCGIFFLAGS, &ifr)) != 0) return throw_errno(env, err, "ioctl(SIOCGIFFLAGS)", ifr.ifr_name);
  TRY(env, napi_create_object(env, &result));
  TRY(env, napi_create_string_utf8(env, mac, NAPI_AUTO_LENGTH, &mac_value));
  if (!set_number(env, result, "ifindex", ifindex) || !set_number(env, result, "mtu", mtu) ||
      !set_number(env, result, "flags", (unsigned short)ifr.ifr_flags) ||
      napi_failed(env, napi_set_named_property(env, result, "mac", mac_value)))
    return NULL;
  return result;
}

// ifSetUp(name, up): sets or clears IFF_UP (SIOCGIFFLAGS, then SIOCSIFFLAGS when it changes).
napi_value js_if_set_up(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  struct ifreq ifr;
  bool up;
  if (!get_args(env, info, 2, argv) || !ifreq_arg(env, argv[0], &ifr) || !arg_bool(env, argv[1], "up", &up))
    return NULL;
  int err = if_ioctl(SIOCGIFFLAGS, &ifr);
  if (err != 0) return throw_errno(env, err, "ioctl(SIOCGIFFLAGS)", ifr.ifr_name);
  short flags = up ? (short)(ifr.ifr_flags | IFF_UP) : (short)(ifr.ifr_flags & ~IFF_UP);
  if (flags == ifr.ifr_flags) return NULL;
  ifr.ifr_flags = flags;
  if ((err = if_ioctl(SIOCSIFFLAGS, &ifr)) != 0) return throw_errno(env, err, "ioctl(SIOCSIFFLAGS)", ifr.ifr_name);
  return NULL;
}

// ifSetMtu(name, mtu): SIOCSIFMTU.
napi_value js_if_set_mtu(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  struct ifreq ifr;
  uint32_t mtu;
  if (!get_args(env, info, 2, argv) || !ifreq_arg(env, argv[0], &ifr) ||
      !arg_u32(env, argv[1], "mtu", INT32_MAX, &mtu))
    return NULL;
  ifr.ifr_mtu = (int)mtu;
  int err = if_ioctl(SIOCSIFMTU, &ifr);
  if (err != 0) return throw_errno(env, err, "ioctl(SIOCSIFMTU)", ifr.ifr_name);
  return NULL;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses "aa:bb:cc:dd:ee:ff" into 6 bytes; false when it is not exactly that form.
static bool parse_mac(const char *s, unsigned char *out) {
  if (strlen(s) != 17) return false;
  for (int i = 0; i < 6; i++) {
    int hi = hex_digit(s[i * 3]), lo = hex_digit(s[i * 3 + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':')) return false;
    out[i] = (unsigned char)(hi << 4 | lo);
  }
  return true;
}

// ifSetMac(name, mac): SIOCSIFHWADDR with an Ethernet address "aa:bb:cc:dd:ee:ff".
napi_value js_if_set_mac(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  struct ifreq ifr;
  char text[32];
  unsigned char mac[6];
  if (!get_args(env, info, 2, argv) || !ifreq_arg(env, argv[0], &ifr) ||
      !arg_string(env, argv[1], "mac", text, sizeof text))
    return NULL;
  if (!parse_mac(text, mac)) return throw_invalid(env, "\"%s\" is not an Ethernet address", text);
  ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
  memcpy(ifr.ifr_hwaddr.sa_data, mac, sizeof mac);
  int err = if_ioctl(SIOCSIFHWADDR, &ifr);
  if (err != 0) return throw_errno(env, err, "ioctl(SIOCSIFHWADDR)", ifr.ifr_name);
  return NULL;
}

// ifLinkSettings(name) → {speed, duplex, port, autoneg, supported, advertising}, or null when the driver
// has no link settings (ETHTOOL_GSET, as Open vSwitch's netdev-linux reads its features). speed is in
// Mb/s (0 when unknown); duplex, port and autoneg are ethtool's DUPLEX_*, PORT_* and AUTONEG_* values;
// supported and advertising its SUPPORTED_* / ADVERTISED_* bits.
napi_value js_if_link_settings(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  struct ifreq ifr;
  if (!get_args(env, info, 1, argv) || !ifreq_arg(env, argv[0], &ifr)) return NULL;
  struct ethtool_cmd cmd = {.cmd = ETHTOOL_GSET};
  ifr.ifr_data = (void *)&cmd;
  int err = if_ioctl(SIOCETHTOOL, &ifr);
  if (err == EOPNOTSUPP || err == EINVAL) {
    TRY(env, napi_get_null(env, &result));
    return result;
  }
  if (err != 0) return throw_errno(env, err, "ioctl(SIOCETHTOOL)", ifr.ifr_name);
  uint32_t speed = ethtool_cmd_speed(&cmd);
  TRY(env, napi_create_object(env, &result));
  if (!set_number(env, result, "speed", speed == (uint32_t)SPEED_UNKNOWN ? 0 : speed) ||
      !set_number(env, result, "duplex", cmd.duplex) || !set_number(env, result, "port", cmd.port) ||
      !set_number(env, result, "autoneg", cmd.autoneg) || !set_number(env, result, "supported", cmd.supported) ||
      !set_number(env, result, "advertising", cmd.advertising))
    return NULL;
  return result;
}
