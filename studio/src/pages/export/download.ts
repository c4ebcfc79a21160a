/**
 * Saves a file the API serves to this browser's downloads. A plain link cannot send the key (the
 * Authorization header), so the file comes through fetch, is held as a blob, and a temporary
 * <a download> hands it to the browser under the server's file name.
 */
import { ApiError, request } from "../../api.ts";

/** The file name the server gives (Content-Disposition), else `fallback`. */
export function fileName(disposition: string | null, fallback: string): string {
  if (disposition) {
    const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
    if (star?.[1]) {
      try {
        return decodeURIComponent(star[1].trim());
      } catch {
        // not percent-encoded after all: try the plain name
      }
    }
    const plain = /filename\s*=\s*"?([^";]+)"?/.exec(disposition);
    if (plain?.[1]) return plain[1].trim();
  }
  return fallback;
}

export interface Received {
  got: number;
  /** From Content-Length; null when the server does not say. */
  total: number | null;
}

/**
 * Downloads `path` and hands it to the browser; `onProgress` hears how much has come. Returns the
 * file's name and size.
 */
export async function download(
  path: string,
  fallback: string,
  onProgress: (r: Received) => void,
  signal?: AbortSignal,
): Promise<{ name: string; bytes: number }> {
  const res = await request(path, signal ? { signal } : {});
  const length = Number(res.headers.get("content-length"));
  const total = Number.isFinite(length) && length > 0 ? length : null;
  const name = fileName(res.headers.get("content-disposition"), fallback);
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let got = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parts.push(value);
      got += value.byteLength;
      onProgress({ got, total });
    }
  }
  if (total !== null && got !== total)
    throw new ApiError(
      `The download stopped after ${got} of ${total} bytes. Download it again; if it stops again, the server log says why.`,
      0,
      "incomplete",
    );
  const type = res.headers.get("content-type") ?? "application/octet-stream";
  const url = URL.createObjectURL(new Blob(parts, { type }));
  try {
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    a.style.display = "none";
    document.body.append(a);
    a.click();
    a.remove();
  } finally {
    // the browser has taken the file once click() returns; free the memory a moment later
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
  return { name, bytes: got };
}
