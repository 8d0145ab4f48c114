# The tsovs native addon: packet I/O only (AF_PACKET rings, TAP, uv_poll, interface ioctls, rtnetlink,
# UDP and raw IP sockets for tunnels).
# Built by `npm run build:native` (node-gyp rebuild --nodedir=/usr -C native).
{
  "targets": [
    {
      "target_name": "tsovs_native",
      "sources": [
        "src/addon.c",
        "src/args.c",
        "src/region.c",
        "src/packet.c",
        "src/tap.c",
        "src/poll.c",
        "src/ifinfo.c",
        "src/netlink.c",
        "src/dgram.c"
      ],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags_c": ["-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"]
    }
  ]
}
