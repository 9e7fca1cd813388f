/*
 * Demo player for the local stack, built on the client package (packages/client): signs in as a demo
 * user, opens a playback session and plays it with hls.js or dash.js. The session renews its URL ahead of
 * expiry and the player follows without reloading; the events list shows what the library reports.
 */
import {
  createClient,
  createPlaybackSession,
  playWithDash,
  playWithHls,
} from '/vendor/kvs-url-vending-client.js';

const $ = (id) => document.getElementById(id);
const video = $('video');

/**
 * Development aid: with `npm start` run as KVS_SESSION_LIFETIME_SCALE=0.05, KVS sessions end after 5 % of
 * their lifetime. The page reads the stack's scale from `/demo/config.json` (`?sessionLifetimeScale=`
 * overrides it) and runs the session's clock 20 times as fast to match, so a renewal happens every few
 * seconds instead of every few minutes; the times it shows are the scaled ones, as they happen here.
 */
let lifetimeScale = 1;
const configRead = readLifetimeScale().then((scale) => {
  lifetimeScale = scale;
});

async function readLifetimeScale() {
  const asked = new URLSearchParams(window.location.search).get('sessionLifetimeScale');
  let scale = asked === null ? NaN : Number(asked);
  if (!(scale > 0 && scale <= 1)) {
    try {
      const response = await fetch('/demo/config.json');
      scale = response.ok ? Number((await response.json()).sessionLifetimeScale) : 1;
    } catch {
      scale = 1;
    }
  }
  return scale > 0 && scale < 1 ? scale : 1;
}

/** Seconds of the session's clock as they pass in this stack (the same unless sessions are scaled). */
const realSeconds = (seconds) => Math.max(0, Math.round(seconds * lifetimeScale));

/** What the end-to-end tests (and a curious developer) can inspect; never holds a URL or token. */
const demo = {
  fatalErrors: [],
  vends: 0,
  renewals: [],
  lastVend: null,
  events: [],
  state: 'signed-out',
  /** The last clip made (its size and expiry, never its URL) and the thumbnails shown. */
  clip: null,
  thumbnails: null,
};
window.demo = demo;

let token = null;
let grants = new Map();
let session = null;
let playback = null;

const client = createClient({
  baseUrl: window.location.origin,
  getToken: async ({ forceRefresh }) => {
    if (forceRefresh || !token) await fetchToken();
    return token;
  },
});

function scaledClock(scale) {
  const rate = 1 / scale;
  const originMs = Date.now();
  return {
    now: () => originMs + (Date.now() - originMs) * rate,
    setTimeout: (callback, ms) => window.setTimeout(callback, ms / rate),
    clearTimeout: (handle) => window.clearTimeout(handle),
  };
}

const setStatus = (text) => {
  $('status').textContent = text;
};

const showError = (text) => {
  const box = $('error');
  box.textContent = text;
  box.hidden = false;
  demo.state = 'error';
};

const clearError = () => {
  $('error').hidden = true;
  $('error').textContent = '';
};

/**
 * A player's error text without the URLs it may quote: a KVS URL carries its SessionToken, a bearer
 * credential that must not be shown, copied into a bug report or kept in the page.
 */
const withoutUrls = (text) =>
  String(text)
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '[URL hidden]')
    .replace(/\S*SessionToken=\S*/gi, '[URL hidden]');

const describeError = (error) =>
  error && error.code
    ? `${error.status} ${error.code}: ${withoutUrls(error.message)}${error.requestId ? ` (request ${error.requestId})` : ''}`
    : withoutUrls((error && error.message) || error);

const toLocalInput = (date) => {
  const pad = (n) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
};

async function fetchToken() {
  const option = $('user').selectedOptions[0];
  const params = new URLSearchParams({ sub: option.value });
  if (option.dataset.groups) params.set('groups', option.dataset.groups);
  const response = await fetch(`/_local/token?${params}`);
  if (!response.ok) throw new Error(`the local identity provider answered ${response.status}`);
  token = (await response.json()).token;
}

async function signIn() {
  clearError();
  stop();
  token = null;
  try {
    await fetchToken();
  } catch (error) {
    showError(`Could not get a token: ${error.message}.`);
    return;
  }
  $('signed-in').textContent = `signed in as ${$('user').value}`;
  await loadStreams();
}

async function loadStreams() {
  const select = $('streams');
  select.replaceChildren();
  grants = new Map();
  let list;
  try {
    list = (await client.listStreams()).streams;
  } catch (error) {
    showError(describeError(error));
    return;
  }
  for (const entry of list) {
    grants.set(entry.stream, entry);
    const option = document.createElement('option');
    option.value = entry.stream;
    option.textContent = entry.stream;
    select.append(option);
  }
  select.disabled = list.length === 0;
  $('play').disabled = false;
  $('download-clip').disabled = false;
  $('show-thumbnails').disabled = false;
  demo.state = 'signed-in';
  setStatus(`${list.length} stream(s) granted. Choose one and press Play.`);
  describeGrant();
}

function describeGrant() {
  const entry = grants.get($('streams').value);
  if (!entry) {
    $('grant').textContent = '';
    return;
  }
  const parts = [];
  if (entry.maxExpiresInSeconds !== undefined) {
    parts.push(
      `allowed: ${entry.playbackModes.join(', ')} over ${entry.protocols.join(', ')}, ` +
        `sessions up to ${entry.maxExpiresInSeconds} s`,
    );
  }
  if (entry.clipUrlMaxSeconds !== undefined) parts.push(`clip URLs up to ${entry.clipUrlMaxSeconds} s`);
  parts.push(`capabilities: ${entry.capabilities.join(', ')}`);
  $('grant').textContent = parts.join('; ');
}

function chosenStream() {
  return $('stream-name').value.trim() || $('streams').value;
}

function requestBody() {
  const mode = $('mode').value;
  const body = { protocol: $('protocol').value, playbackMode: mode, expiresInSeconds: 300 };
  if (mode !== 'LIVE') {
    body.start = new Date($('start').value).toISOString();
    if ($('end').value) body.end = new Date($('end').value).toISOString();
  }
  return body;
}

/** One line per library event; the events carry no URL, so they can be shown as they are. */
function logEvent(event) {
  const { type, ...fields } = event;
  const shown = { ...fields };
  if (shown.error) shown.error = { code: shown.error.code, status: shown.error.status };
  if (lifetimeScale < 1) {
    // The session's clock runs 1/scale times as fast: show when things happen here.
    if (typeof shown.inSeconds === 'number') shown.inSeconds = realSeconds(shown.inSeconds);
    if (typeof shown.expiresInSeconds === 'number') {
      shown.expiresInSeconds = realSeconds(shown.expiresInSeconds);
      shown.scaledBy = lifetimeScale;
    }
    if (typeof shown.expiresAt === 'string') delete shown.expiresAt;
  }
  demo.events.push(event.type);
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${type} ${JSON.stringify(shown)}`;
  const list = $('events');
  list.append(item);
  while (list.children.length > 100) list.firstElementChild.remove();
  list.scrollTop = list.scrollHeight;
}

function onSessionEvent(event) {
  logEvent(event);
  switch (event.type) {
    case 'vended':
      demo.vends += 1;
      demo.lastVend = {
        protocol: event.protocol,
        playbackMode: event.playbackMode,
        expiresAt: event.expiresAt,
        expiresInSeconds: event.expiresInSeconds,
      };
      if (event.reason) demo.renewals.push(event.reason);
      if (event.generation > 1) {
        setStatus(
          `${$('status').textContent.replace(/ \(renewed.*\)$/, '')} (renewed ${demo.renewals.length}×: ${event.reason})`,
        );
      }
      break;
    case 'waiting-for-media':
      showError(
        `404 NO_MEDIA: ${event.message}${event.requestId ? ` (request ${event.requestId})` : ''}` +
          ` — the stream has no media; trying again in ${event.retryInSeconds} s.`,
      );
      break;
    case 'stopped':
      if (event.error) {
        setStatus('The API refused this playback.');
        showError(describeError(event.error));
      }
      break;
    default:
      break;
  }
}

async function play() {
  clearError();
  stop();
  const stream = chosenStream();
  if (!stream) {
    showError('Choose a stream first.');
    return;
  }
  const body = requestBody();
  await configRead;
  setStatus(`Asking for a ${body.protocol} ${body.playbackMode} URL for ${stream}...`);
  $('events').replaceChildren();
  const current = createPlaybackSession(client, {
    stream,
    ...body,
    ...(lifetimeScale > 0 && lifetimeScale < 1 ? { clock: scaledClock(lifetimeScale) } : {}),
  });
  session = current;
  current.subscribe(onSessionEvent);
  $('stop').disabled = false;
  demo.state = 'loading';
  try {
    const first = await current.ready();
    if (session !== current) return;
    playback = body.protocol === 'DASH' ? await attachDash(current) : await attachHls(current);
    const validUntil =
      lifetimeScale < 1
        ? `${realSeconds(first.expiresInSeconds)} s here: KVS_SESSION_LIFETIME_SCALE=${lifetimeScale} shortens ` +
          `its ${first.expiresInSeconds} s`
        : new Date(first.expiresAt).toLocaleTimeString();
    setStatus(
      `Playing ${stream} (${first.protocol} ${first.playbackMode}); the session renews itself before it ` +
        `expires (first one valid until ${validUntil}).`,
    );
  } catch {
    // The session reported why through its 'stopped' event.
  }
}

async function attachHls(current) {
  if (!(window.Hls && window.Hls.isSupported())) throw new Error('This browser cannot play HLS with hls.js.');
  const result = await playWithHls(window.Hls, current, video, { config: { enableWorker: true } });
  result.hls.on(window.Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    demo.fatalErrors.push({ type: data.type, details: withoutUrls(data.details) });
    showError(`Playback failed: ${data.type} / ${withoutUrls(data.details)}`);
  });
  video.play().catch(() => undefined);
  return result;
}

async function attachDash(current) {
  const player = window.dashjs.MediaPlayer().create();
  // Clock sync follows the MPD's UTCTiming (the emulator serves its own clock); never the public time
  // server dash.js falls back to, which is unreachable offline.
  player.updateSettings({
    streaming: {
      utcSynchronization: {
        enabled: true,
        useManifestDateHeaderTimeSource: true,
        defaultTimingSource: {
          scheme: 'urn:mpeg:dash:utc:http-head:2014',
          value: `${window.location.origin}/`,
        },
      },
    },
  });
  player.on(window.dashjs.MediaPlayer.events.ERROR, (event) => {
    // dash.js quotes the URL it failed on (with its SessionToken) in its message: shown without it.
    const error = event.error || {};
    const details = withoutUrls(error.message || error.code);
    demo.fatalErrors.push({ type: 'dash', details });
    showError(`Playback failed: ${error.code ? `${error.code} ` : ''}${details}`);
  });
  // autoPlay, and no video.play() of our own: a play() right after initialize() left dash.js with the
  // first manifest only, and live playback froze after a few segments.
  return playWithDash(player, current, video, { autoPlay: true });
}

function stop() {
  if (session) session.stop();
  session = null;
  if (playback) playback.destroy();
  playback = null;
  video.removeAttribute('src');
  $('stop').disabled = true;
  if (demo.state !== 'error') demo.state = token ? 'signed-in' : 'signed-out';
}

function fillWindow() {
  if ($('start').value) return;
  const now = Date.now();
  $('start').value = toLocalInput(new Date(now - 10 * 60_000));
  $('end').value = toLocalInput(new Date(now - 8 * 60_000));
}

function onModeChange() {
  const live = $('mode').value === 'LIVE';
  $('window').disabled = live;
  if (!live) fillWindow();
}

/** The past window of step 2 (filled with 10 to 8 minutes ago when empty), for clips and thumbnails. */
function mediaWindow() {
  fillWindow();
  const start = new Date($('start').value);
  const end = $('end').value ? new Date($('end').value) : new Date(start.getTime() + 60_000);
  return { start: start.toISOString(), end: end.toISOString() };
}

const setMediaStatus = (text) => {
  $('media-status').textContent = text;
};

async function downloadClip() {
  clearError();
  const stream = chosenStream();
  if (!stream) return showError('Choose a stream first.');
  setMediaStatus(`Making a clip of ${stream}...`);
  let clip;
  try {
    clip = await client.createClipUrl(stream, mediaWindow());
  } catch (error) {
    setMediaStatus('The API refused this clip.');
    return showError(describeError(error));
  }
  demo.clip = { stream, bytes: clip.bytes, start: clip.start, end: clip.end, expiresAt: clip.expiresAt };
  // The URL goes to a link that is clicked and removed at once: never shown, never stored.
  const link = document.createElement('a');
  link.href = clip.url;
  link.download = '';
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setMediaStatus(
    `Clip of ${stream} (${(clip.bytes / 1024 / 1024).toFixed(1)} MB, ${clip.start} to ${clip.end}) is ` +
      `downloading; its link works until ${new Date(clip.expiresAt).toLocaleTimeString()}.`,
  );
}

async function showThumbnails() {
  clearError();
  const stream = chosenStream();
  if (!stream) return showError('Choose a stream first.');
  const range = mediaWindow();
  const seconds = (Date.parse(range.end) - Date.parse(range.start)) / 1000;
  const strip = $('thumbnails');
  strip.replaceChildren();
  setMediaStatus(`Asking for thumbnails of ${stream}...`);
  let answer;
  try {
    answer = await client.createImages(stream, {
      ...range,
      intervalSeconds: Math.min(300, Math.max(1, Math.ceil(seconds / 10))),
      width: 160,
      height: 90,
      maxImages: 12,
    });
  } catch (error) {
    setMediaStatus('The API refused these thumbnails.');
    return showError(describeError(error));
  }
  const mime = answer.format === 'PNG' ? 'image/png' : 'image/jpeg';
  for (const image of answer.images) {
    const figure = document.createElement('figure');
    const caption = document.createElement('figcaption');
    caption.textContent = new Date(image.timestamp).toLocaleTimeString();
    if (image.error) {
      const missing = document.createElement('div');
      missing.className = 'missing';
      missing.textContent = image.error;
      figure.append(missing);
    } else {
      const img = document.createElement('img');
      img.alt = `${stream} at ${image.timestamp}`;
      img.src = image.data ? `data:${mime};base64,${image.data}` : image.url;
      figure.append(img);
    }
    figure.append(caption);
    strip.append(figure);
  }
  demo.thumbnails = {
    stream,
    images: answer.images.length,
    errors: answer.images.filter((image) => image.error).length,
  };
  setMediaStatus(`${answer.images.length} thumbnail(s) of ${stream}.`);
}

video.addEventListener('playing', () => {
  if (demo.state !== 'error') demo.state = 'playing';
});
$('signin').addEventListener('click', () => void signIn());
$('streams').addEventListener('change', describeGrant);
$('mode').addEventListener('change', onModeChange);
$('play').addEventListener('click', () => void play());
$('download-clip').addEventListener('click', () => void downloadClip());
$('show-thumbnails').addEventListener('click', () => void showThumbnails());
$('stop').addEventListener('click', () => {
  stop();
  setStatus('Stopped.');
});
