/* Demo player for the local stack: signs in as a demo user, vends playback URLs and plays them. */
(() => {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const video = $('video');
  /** Refresh the URL this long before it expires (sessions last at least 300 s). */
  const REFRESH_MARGIN_MS = 30_000;

  /** What the end-to-end tests (and a curious developer) can inspect; never holds a URL or token. */
  const demo = { fatalErrors: [], vends: 0, refreshes: 0, lastVend: null, state: 'signed-out' };
  window.demo = demo;

  let token = null;
  let grants = new Map();
  let player = null;
  let refreshTimer = null;
  let current = null;
  /** 403s answered with a fresh URL since playback last started; a loop of them means give up. */
  let refusals = 0;

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

  const toLocalInput = (date) => {
    const pad = (n) => String(n).padStart(2, '0');
    return (
      `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
      `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
    );
  };

  const describeApiError = (status, body) => {
    const error = body && body.error;
    if (error) return `${status} ${error.code}: ${error.message} (request ${error.requestId})`;
    if (body && body.message) return `${status}: ${body.message}`;
    return `${status}: unexpected answer from the API`;
  };

  const api = async (method, path, body) => {
    const response = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const payload = await response.json().catch(() => null);
    return { ok: response.ok, status: response.status, body: payload };
  };

  async function signIn() {
    clearError();
    stop();
    const option = $('user').selectedOptions[0];
    const params = new URLSearchParams({ sub: option.value });
    if (option.dataset.groups) params.set('groups', option.dataset.groups);
    const response = await fetch(`/_local/token?${params}`);
    if (!response.ok) {
      showError(`Could not get a token from the local identity provider (${response.status}).`);
      return;
    }
    token = (await response.json()).token;
    $('signed-in').textContent = `signed in as ${option.value}`;
    await loadStreams();
  }

  async function loadStreams() {
    const result = await api('GET', '/v1/streams');
    const select = $('streams');
    select.replaceChildren();
    grants = new Map();
    if (!result.ok) {
      showError(describeApiError(result.status, result.body));
      return;
    }
    const list = Array.isArray(result.body) ? result.body : result.body.streams;
    for (const entry of list) {
      grants.set(entry.stream, entry);
      const option = document.createElement('option');
      option.value = entry.stream;
      option.textContent = entry.stream;
      select.append(option);
    }
    select.disabled = list.length === 0;
    $('play').disabled = false;
    demo.state = 'signed-in';
    setStatus(`${list.length} stream(s) granted. Choose one and press Play.`);
    describeGrant();
  }

  function describeGrant() {
    const entry = grants.get($('streams').value);
    $('grant').textContent = entry
      ? `allowed: ${entry.playbackModes.join(', ')} over ${entry.protocols.join(', ')}, ` +
        `sessions up to ${entry.maxExpiresInSeconds} s`
      : '';
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

  async function vend(stream, body) {
    const result = await api('POST', `/v1/streams/${encodeURIComponent(stream)}/playback-url`, body);
    if (!result.ok) throw new Error(describeApiError(result.status, result.body));
    demo.vends += 1;
    const { url, ...rest } = result.body;
    demo.lastVend = rest;
    return result.body;
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
    setStatus(`Asking for a ${body.protocol} ${body.playbackMode} URL for ${stream}...`);
    let session;
    try {
      session = await vend(stream, body);
    } catch (error) {
      setStatus('The API refused this playback.');
      showError(error.message);
      return;
    }
    current = { stream, body };
    $('stop').disabled = false;
    attach(session);
  }

  function attach(session) {
    demo.state = 'loading';
    if (session.protocol === 'DASH') attachDash(session.url);
    else attachHls(session.url);
    scheduleRefresh(session);
    setStatus(
      `Playing ${session.stream} (${session.protocol} ${session.playbackMode}); ` +
        `URL valid until ${new Date(session.expiresAt).toLocaleTimeString()}.`,
    );
    video.play().catch(() => undefined);
  }

  function attachHls(url) {
    if (window.Hls && window.Hls.isSupported()) {
      const hls = new window.Hls({ enableWorker: true });
      hls.on(window.Hls.Events.ERROR, (_event, data) => {
        const status = data.response && data.response.code;
        if (data.fatal && status === 403 && refusals < 2) {
          // The session expired or was refused: a fresh URL is the fix, not a retry of the old one.
          void refresh('the player got a 403');
          return;
        }
        if (data.fatal) {
          demo.fatalErrors.push({ type: data.type, details: data.details });
          showError(`Playback failed: ${data.type} / ${data.details}`);
        }
      });
      hls.loadSource(url);
      hls.attachMedia(video);
      player = { kind: 'hls', instance: hls };
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = url;
      player = { kind: 'native', instance: null };
    } else {
      showError('This browser cannot play HLS.');
    }
  }

  function attachDash(url) {
    const dash = window.dashjs.MediaPlayer().create();
    // Clock sync follows the MPD's UTCTiming (the emulator serves its own clock); never the public
    // time server dash.js falls back to, which is unreachable offline.
    dash.updateSettings({
      streaming: {
        utcSynchronization: {
          enabled: true,
          useManifestDateHeaderTimeSource: true,
          defaultTimingSource: {
            scheme: 'urn:mpeg:dash:utc:http-head:2014',
            value: window.location.origin + '/',
          },
        },
      },
    });
    dash.on(window.dashjs.MediaPlayer.events.ERROR, (event) => {
      const error = event.error || {};
      const status = error.data && error.data.request && error.data.request.status;
      if (status === 403 && refusals < 2) {
        void refresh('the player got a 403');
        return;
      }
      demo.fatalErrors.push({ type: 'dash', details: String(error.message || error.code) });
      showError(`Playback failed: ${error.message || error.code}`);
    });
    dash.initialize(video, url, true);
    player = { kind: 'dash', instance: dash };
  }

  function detach() {
    if (!player) return;
    if (player.kind === 'hls') player.instance.destroy();
    else if (player.kind === 'dash') player.instance.reset();
    else video.removeAttribute('src');
    player = null;
  }

  function scheduleRefresh(session) {
    clearTimeout(refreshTimer);
    const delay = Math.max(5_000, new Date(session.expiresAt).getTime() - Date.now() - REFRESH_MARGIN_MS);
    refreshTimer = setTimeout(() => void refresh('the URL is about to expire'), delay);
  }

  async function refresh(reason) {
    if (!current) return;
    if (reason.includes('403')) refusals += 1;
    try {
      const session = await vend(current.stream, current.body);
      demo.refreshes += 1;
      detach();
      attach(session);
      setStatus(`${$('status').textContent} (fresh URL: ${reason})`);
    } catch (error) {
      stop();
      showError(`Could not refresh the URL: ${error.message}`);
    }
  }

  function stop() {
    clearTimeout(refreshTimer);
    current = null;
    detach();
    $('stop').disabled = true;
    if (demo.state !== 'error') demo.state = token ? 'signed-in' : 'signed-out';
  }

  function onModeChange() {
    const live = $('mode').value === 'LIVE';
    $('window').disabled = live;
    if (!live && !$('start').value) {
      const now = Date.now();
      $('start').value = toLocalInput(new Date(now - 10 * 60_000));
      $('end').value = toLocalInput(new Date(now - 8 * 60_000));
    }
  }

  video.addEventListener('playing', () => {
    refusals = 0;
    demo.state = 'playing';
  });
  $('signin').addEventListener('click', () => void signIn());
  $('streams').addEventListener('change', describeGrant);
  $('mode').addEventListener('change', onModeChange);
  $('play').addEventListener('click', () => void play());
  $('stop').addEventListener('click', () => {
    stop();
    setStatus('Stopped.');
  });
})();
