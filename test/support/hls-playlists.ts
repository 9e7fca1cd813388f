/**
 * Just enough HLS reading for root tests that follow a vended URL: the KVS emulator package keeps its
 * own full parser for its conformance tests.
 */
export async function fetchText(url: string | URL): Promise<string> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${String(url)} answered ${response.status}`);
  return response.text();
}

/** The media playlist of track `trackNumber` that the master playlist at `masterUrl` points to. */
export async function mediaPlaylistUrl(masterUrl: string, trackNumber = 1): Promise<URL> {
  const lines = (await fetchText(masterUrl)).split('\n').map((line) => line.trim());
  const variantIndex = lines.findIndex((line) => line.startsWith('#EXT-X-STREAM-INF'));
  const uri = variantIndex === -1 ? undefined : lines.slice(variantIndex + 1).find((line) => line !== '');
  if (uri === undefined || uri.startsWith('#')) throw new Error('master playlist without a variant');
  const url = new URL(uri, masterUrl);
  url.searchParams.set('TrackNumber', String(trackNumber));
  return url;
}

/** The segments of a media playlist, with their EXTINF durations in seconds. */
export function mediaSegments(playlist: string): { duration: number }[] {
  return [...playlist.matchAll(/^#EXTINF:([\d.]+),/gm)].map((match) => ({ duration: Number(match[1]) }));
}
