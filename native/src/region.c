// The table of memory regions: page-aligned mappings (anonymous buffers and packet rx rings) that JS sees
// as external ArrayBuffers and that send calls reference by a small integer id. Freeing a region detaches
// its ArrayBuffer first, so JS reading it afterwards sees an empty buffer instead of unmapped memory.
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "addon.h"

#define MAX_REGIONS 1024
// Largest region one call may create (a sanity bound, not a kernel limit).
#define MAX_REGION_SIZE ((size_t)1 << 30)

static struct region regions[MAX_REGIONS];
static pthread_mutex_t regions_lock = PTHREAD_MUTEX_INITIALIZER;

int region_add(napi_env env, void *base, size_t size, int ring_fd, napi_value *buffer) {
  napi_ref ref = NULL;
  if (napi_failed(env, napi_create_external_arraybuffer(env, base, size, NULL, NULL, buffer)) ||
      napi_failed(env, napi_create_reference(env, *buffer, 0, &ref)))
    return -1;
  pthread_mutex_lock(&regions_lock);
  int id = -1;
  for (int i = 0; i < MAX_REGIONS && id < 0; i++)
    if (regions[i].base == NULL) id = i;
  if (id >= 0) regions[id] = (struct region){base, size, ring_fd, env, ref};
  pthread_mutex_unlock(&regions_lock);
  if (id < 0) {
    napi_detach_arraybuffer(env, *buffer);
    napi_delete_reference(env, ref);
    throw_invalid(env, "too many memory regions (at most %d)", MAX_REGIONS);
  }
  return id;
}

struct region *region_get(int64_t id) {
  if (id < 0 || id >= MAX_REGIONS || regions[id].base == NULL) return NULL;
  return &regions[id];
}

bool region_check(napi_env env, int64_t id, uint64_t offset, uint64_t length, struct region **out) {
  struct region *r = region_get(id);
  if (r == NULL) {
    throw_invalid(env, "no memory region %lld", (long long)id);
    return false;
  }
  if (offset > r->size || length > r->size - offset) {
    throw_invalid(env, "bytes %llu..%llu lie outside region %lld (%zu bytes)", (unsigned long long)offset,
                  (unsigned long long)(offset + length), (long long)id, r->size);
    return false;
  }
  *out = r;
  return true;
}

bool arg_descs(napi_env env, napi_value descs, napi_value count, uint32_t **triples, uint32_t *n) {
  size_t len;
  if (!arg_u32_array(env, descs, "descs", triples, &len) || !arg_u32(env, count, "count", 65536, n))
    return false;
  if ((size_t)*n * 3 > len) {
    throw_invalid(env, "count %u needs %u descriptor words, descs has %zu", *n, *n * 3, len);
    return false;
  }
  struct region *r;
  for (uint32_t i = 0; i < *n; i++) {
    const uint32_t *d = *triples + (size_t)i * 3;
    if (d[2] == 0) {
      throw_invalid(env, "descriptor %u has length 0", i);
      return false;
    }
    if (!region_check(env, d[0], d[1], d[2], &r)) return false;
  }
  return true;
}

// Detaches the ArrayBuffer (when `env` owns it and it is still alive) and unmaps the memory.
static void release_slot(napi_env env, struct region *r) {
  if (r->env == env && r->buffer != NULL) {
    napi_value ab = NULL;
    if (napi_get_reference_value(env, r->buffer, &ab) == napi_ok && ab != NULL)
      napi_detach_arraybuffer(env, ab);
    napi_delete_reference(env, r->buffer);
  }
  munmap(r->base, r->size);
  *r = (struct region){NULL, 0, -1, NULL, NULL};
}

void region_release(napi_env env, int id) {
  pthread_mutex_lock(&regions_lock);
  if (id >= 0 && id < MAX_REGIONS && regions[id].base != NULL) release_slot(env, &regions[id]);
  pthread_mutex_unlock(&regions_lock);
}

int region_of_ring(int fd) {
  int id = -1;
  pthread_mutex_lock(&regions_lock);
  for (int i = 0; i < MAX_REGIONS && id < 0; i++)
    if (regions[i].base != NULL && regions[i].ring_fd == fd) id = i;
  pthread_mutex_unlock(&regions_lock);
  return id;
}

void region_release_env(napi_env env) {
  pthread_mutex_lock(&regions_lock);
  for (int i = 0; i < MAX_REGIONS; i++) {
    if (regions[i].base == NULL || regions[i].env != env) continue;
    // The env is being torn down: its references go with it, so only unmap (and close the ring's socket).
    regions[i].buffer = NULL;
    int fd = regions[i].ring_fd;
    release_slot(env, &regions[i]);
    if (fd >= 0) close(fd);
  }
  pthread_mutex_unlock(&regions_lock);
}

// regionCreate(size) → {region, buffer}: `size` bytes (rounded up to whole pages) of zeroed memory.
napi_value js_region_create(napi_env env, napi_callback_info info) {
  napi_value argv[1], result, buffer;
  uint32_t size;
  if (!get_args(env, info, 1, argv) || !arg_u32(env, argv[0], "size", MAX_REGION_SIZE, &size)) return NULL;
  if (size == 0) return throw_invalid(env, "size must be positive");
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t len = (size + page - 1) / page * page;
  void *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return throw_errno(env, errno, "mmap", "region");
  int id = region_add(env, base, len, -1, &buffer);
  if (id < 0) {
    munmap(base, len);
    return NULL;
  }
  TRY(env, napi_create_object(env, &result));
  if (!set_number(env, result, "region", id)) return NULL;
  TRY(env, napi_set_named_property(env, result, "buffer", buffer));
  return result;
}

// regionFree(region): detaches the region's ArrayBuffer and unmaps it. Ring regions go with closeFd.
napi_value js_region_free(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t id;
  if (!get_args(env, info, 1, argv) || !arg_i32(env, argv[0], "region", 0, MAX_REGIONS - 1, &id)) return NULL;
  struct region *r = region_get(id);
  if (r == NULL) return throw_invalid(env, "no memory region %d", id);
  if (r->ring_fd >= 0) return throw_invalid(env, "region %d is a packet ring: close its socket instead", id);
  region_release(env, id);
  return NULL;
}

// mallocTrim() → whether memory was given back. After a burst of short-lived buffers (decoding 100,000
// flow mods) glibc keeps the freed chunks in the middle of its heap resident; malloc_trim(0) returns their
// pages to the kernel.
napi_value js_malloc_trim(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  if (napi_failed(env, napi_get_boolean(env, malloc_trim(0) != 0, &result))) return NULL;
  return result;
}
