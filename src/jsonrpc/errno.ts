// System error texts as C's strerror() words them, so our messages read like Open vSwitch's
// ("cannot connect to "/x.ctl" (No such file or directory)"). Node gives only codes and libuv's texts.
import { constants } from 'node:os';
import { getSystemErrorMap } from 'node:util';

/** glibc's wording where libuv's differs by more than the first letter. */
const GLIBC_TEXT: Record<string, string> = {
  EAFNOSUPPORT: 'Address family not supported by protocol',
  ENAMETOOLONG: 'File name too long',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ENOTCONN: 'Transport endpoint is not connected',
  ECONNABORTED: 'Software caused connection abort',
};

/** The strerror() text for an errno code name such as 'ENOENT' (the code itself when unknown). */
export function strerror(code: string): string {
  if (GLIBC_TEXT[code] !== undefined) return GLIBC_TEXT[code];
  const errno = (constants.errno as Record<string, number>)[code];
  const libuvText = errno === undefined ? undefined : getSystemErrorMap().get(-errno)?.[1];
  if (libuvText === undefined) return code;
  return libuvText.charAt(0).toUpperCase() + libuvText.slice(1);
}

/** The strerror() text for an error from Node (its `code`), or its message when it has no errno code. */
export function describeSystemError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return strerror(code);
  return err instanceof Error ? err.message : String(err);
}
