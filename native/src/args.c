// Argument checks, result helpers and errors for the addon's functions. Errors carry `code` (the errno
// name, e.g. 'ENODEV') and `syscall`, like Node's own system errors; bad arguments are RangeErrors with
// code 'EINVAL'. Nothing here aborts the process.
#include <errno.h>
#include <math.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "addon.h"

bool napi_failed(napi_env env, napi_status st) {
  if (st == napi_ok) return false;
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return true;
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  const char *msg = info != NULL && info->error_message != NULL ? info->error_message : "N-API call failed";
  napi_throw_error(env, "EFAULT", msg);
  return true;
}

static void set_string(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value v;
  if (napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v) == napi_ok)
    napi_set_named_property(env, obj, key, v);
}

napi_value throw_errno(napi_env env, int err, const char *call, const char *subject) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s on %s: %s", call, subject, strerror(err));
  const char *name = strerrorname_np(err);
  napi_value code, text, error;
  if (napi_create_string_utf8(env, name != NULL ? name : "EIO", NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text) != napi_ok ||
      napi_create_error(env, code, text, &error) != napi_ok) {
    napi_throw_error(env, name, msg);
    return NULL;
  }
  set_string(env, error, "syscall", call);
  set_string(env, error, "reason", strerror(err));
  set_number(env, error, "errno", -err);
  napi_throw(env, error);
  return NULL;
}

napi_value throw_invalid(napi_env env, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  napi_throw_range_error(env, "EINVAL", msg);
  return NULL;
}

bool get_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  size_t argc = n;
  return !napi_failed(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
}

static bool arg_integer(napi_env env, napi_value v, const char *what, double min, double max, double *out) {
  napi_valuetype t;
  if (napi_failed(env, napi_typeof(env, v, &t))) return false;
  double d = NAN;
  if (t == napi_number && napi_failed(env, napi_get_value_double(env, v, &d))) return false;
  if (t != napi_number || d != floor(d) || d < min || d > max) {
    throw_invalid(env, "%s must be an integer in [%.0f, %.0f]", what, min, max);
    return false;
  }
  *out = d;
  return true;
}

bool arg_u32(napi_env env, napi_value v, const char *what, uint32_t max, uint32_t *out) {
  double d;
  if (!arg_integer(env, v, what, 0, max, &d)) return false;
  *out = (uint32_t)d;
  return true;
}

bool arg_i32(napi_env env, napi_value v, const char *what, int32_t min, int32_t max, int32_t *out) {
  double d;
  if (!arg_integer(env, v, what, min, max, &d)) return false;
  *out = (int32_t)d;
  return true;
}

bool arg_bool(napi_env env, napi_value v, const char *what, bool *out) {
  if (napi_get_value_bool(env, v, out) == napi_ok) return true;
  throw_invalid(env, "%s must be a boolean", what);
  return false;
}

bool arg_string(napi_env env, napi_value v, const char *what, char *buf, size_t size) {
  napi_valuetype t;
  if (napi_failed(env, napi_typeof(env, v, &t))) return false;
  size_t len = 0;
  if (t != napi_string || napi_failed(env, napi_get_value_string_utf8(env, v, NULL, 0, &len))) {
    if (t != napi_string) throw_invalid(env, "%s must be a string", what);
    return false;
  }
  if (len >= size) {
    throw_invalid(env, "%s is too long (%zu bytes, at most %zu)", what, len, size - 1);
    return false;
  }
  return !napi_failed(env, napi_get_value_string_utf8(env, v, buf, size, &len));
}

bool arg_ifname(napi_env env, napi_value v, char *name) {
  if (!arg_string(env, v, "interface name", name, IFNAMSIZ)) return false;
  if (name[0] == '\0' || strchr(name, '/') != NULL) {
    throw_invalid(env, "invalid interface name \"%s\"", name);
    return false;
  }
  return true;
}

bool arg_u32_array(napi_env env, napi_value v, const char *what, uint32_t **data, size_t *len) {
  bool is_typed = false;
  if (napi_failed(env, napi_is_typedarray(env, v, &is_typed))) return false;
  napi_typedarray_type type = napi_int8_array;
  void *ptr = NULL;
  if (is_typed && napi_failed(env, napi_get_typedarray_info(env, v, &type, len, &ptr, NULL, NULL)))
    return false;
  if (!is_typed || type != napi_uint32_array) {
    throw_invalid(env, "%s must be a Uint32Array", what);
    return false;
  }
  *data = ptr;
  return true;
}

bool arg_function(napi_env env, napi_value v, const char *what) {
  napi_valuetype t;
  if (napi_failed(env, napi_typeof(env, v, &t))) return false;
  if (t == napi_function) return true;
  throw_invalid(env, "%s must be a function", what);
  return false;
}

bool set_number(napi_env env, napi_value obj, const char *key, double value) {
  napi_value v;
  return !napi_failed(env, napi_create_double(env, value, &v)) &&
         !napi_failed(env, napi_set_named_property(env, obj, key, v));
}

napi_value make_number(napi_env env, double value) {
  napi_value v;
  TRY(env, napi_create_double(env, value, &v));
  return v;
}

const char *fd_subject(char *buf, size_t size, int fd) {
  snprintf(buf, size, "fd %d", fd);
  return buf;
}
