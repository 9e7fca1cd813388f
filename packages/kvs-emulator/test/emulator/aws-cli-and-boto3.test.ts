import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { startKvsEmulator, type RunningEmulator } from '../../src/index';

/**
 * The emulator's promise is that the AWS tools work against it with nothing changed but the endpoint.
 * The SDK for JavaScript is covered everywhere else; this drives Debian's AWS CLI v2 and boto3 too.
 */
const AWS_CLI = '/usr/bin/aws';
const PYTHON = '/usr/bin/python3';
const run = promisify(execFile);

async function hasBoto3(): Promise<boolean> {
  if (!existsSync(PYTHON)) return false;
  return run(PYTHON, ['-c', 'import boto3']).then(
    () => true,
    () => false,
  );
}

describe('the AWS CLI and boto3 against the emulator', () => {
  let emulator: RunningEmulator | undefined;
  let available = false;
  const env = (secret = 'local'): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: '/nonexistent',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: secret,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/nonexistent/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  });
  const aws = async (args: string[], secret?: string) =>
    run(AWS_CLI, [...args, '--output', 'json'], { env: env(secret), timeout: 60_000 });

  beforeAll(async () => {
    available = existsSync(AWS_CLI) && (await hasBoto3());
    if (available) emulator = await startKvsEmulator({ port: 0 });
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  it('has the tools, or says how to get them', () => {
    if (available) return;
    const reason = `${AWS_CLI} or boto3 for ${PYTHON} is absent (apt-get install -y awscli python3-boto3)`;
    if (process.env.REQUIRE_AWS_TOOLS === '1') {
      throw new Error(`The AWS CLI and boto3 tests are required (REQUIRE_AWS_TOOLS=1) but ${reason}.`);
    }
    console.warn(
      `AWS CLI and boto3 tests not run: ${reason}. Set REQUIRE_AWS_TOOLS=1 to make this a failure.`,
    );
  });

  it('AWS CLI: lists streams, finds the data endpoint, mints a session URL and pages fragments', async () => {
    if (!emulator) return;
    const endpoint = emulator.endpoint;
    const streams = JSON.parse(
      (await aws(['kinesisvideo', 'list-streams', '--endpoint-url', endpoint])).stdout,
    ) as {
      StreamInfoList: { StreamName: string; Status: string }[];
    };
    expect(streams.StreamInfoList.map((stream) => stream.StreamName).sort()).toEqual([
      'backyard',
      'front-door',
      'garage',
      'legacy-mjpeg',
      'no-retention',
    ]);
    const { DataEndpoint } = JSON.parse(
      (
        await aws([
          'kinesisvideo',
          'get-data-endpoint',
          '--endpoint-url',
          endpoint,
          '--stream-name',
          'front-door',
          '--api-name',
          'GET_HLS_STREAMING_SESSION_URL',
        ])
      ).stdout,
    ) as { DataEndpoint: string };
    expect(DataEndpoint.startsWith(`${endpoint}/`)).toBe(true);

    const session = JSON.parse(
      (
        await aws([
          'kinesis-video-archived-media',
          'get-hls-streaming-session-url',
          '--endpoint-url',
          DataEndpoint,
          '--stream-name',
          'front-door',
        ])
      ).stdout,
    ) as { HLSStreamingSessionURL: string };
    expect(session.HLSStreamingSessionURL).toMatch(
      /\/hls\/v1\/getHLSMasterPlaylist\.m3u8\?SessionToken=[\w-]+/,
    );
    const playlist = await fetch(session.HLSStreamingSessionURL);
    expect(playlist.status).toBe(200);
    expect(await playlist.text()).toContain('#EXT-X-STREAM-INF');

    const listEndpoint = JSON.parse(
      (
        await aws([
          'kinesisvideo',
          'get-data-endpoint',
          '--endpoint-url',
          endpoint,
          '--stream-name',
          'front-door',
          '--api-name',
          'LIST_FRAGMENTS',
        ])
      ).stdout,
    ) as { DataEndpoint: string };
    const page = JSON.parse(
      (
        await aws([
          'kinesis-video-archived-media',
          'list-fragments',
          '--endpoint-url',
          listEndpoint.DataEndpoint,
          '--stream-name',
          'front-door',
          '--max-results',
          '2',
          '--no-paginate',
        ])
      ).stdout,
    ) as { Fragments: { FragmentNumber: string }[]; NextToken?: string };
    expect(page.Fragments).toHaveLength(2);
    expect(page.NextToken).toEqual(expect.any(String));
  });

  it('AWS CLI: service errors and a bad signature come back as the service names them', async () => {
    if (!emulator) return;
    const endpoint = emulator.endpoint;
    const { DataEndpoint } = JSON.parse(
      (
        await aws([
          'kinesisvideo',
          'get-data-endpoint',
          '--endpoint-url',
          endpoint,
          '--stream-name',
          'no-retention',
          '--api-name',
          'GET_HLS_STREAMING_SESSION_URL',
        ])
      ).stdout,
    ) as { DataEndpoint: string };
    const noRetention = await aws([
      'kinesis-video-archived-media',
      'get-hls-streaming-session-url',
      '--endpoint-url',
      DataEndpoint,
      '--stream-name',
      'no-retention',
    ]).then(
      () => '',
      (error: { stderr: string }) => error.stderr,
    );
    expect(noRetention).toContain('NoDataRetentionException');

    const forged = await aws(
      ['kinesisvideo', 'list-streams', '--endpoint-url', endpoint],
      'not-the-secret',
    ).then(
      () => '',
      (error: { stderr: string }) => error.stderr,
    );
    expect(forged).toMatch(/InvalidSignatureException|UnrecognizedClientException/);
  });

  it('boto3: DASH session URL, a validation error with its status, and GetClip bytes', async () => {
    if (!emulator) return;
    const script = `
import boto3, datetime, json, sys
endpoint = sys.argv[1]
kv = boto3.client('kinesisvideo', endpoint_url=endpoint)
data = kv.get_data_endpoint(StreamName='front-door', APIName='GET_DASH_STREAMING_SESSION_URL')['DataEndpoint']
media = boto3.client('kinesis-video-archived-media', endpoint_url=data)
out = {'dash': media.get_dash_streaming_session_url(StreamName='front-door')['DASHStreamingSessionURL']}
try:
    media.get_hls_streaming_session_url(StreamName='front-door', PlaybackMode='ON_DEMAND')
except media.exceptions.InvalidArgumentException as error:
    out['invalid'] = error.response['ResponseMetadata']['HTTPStatusCode']
now = datetime.datetime.now(datetime.timezone.utc)
clip = media.get_clip(StreamName='front-door', ClipFragmentSelector={'FragmentSelectorType': 'SERVER_TIMESTAMP',
    'TimestampRange': {'StartTimestamp': now - datetime.timedelta(minutes=10), 'EndTimestamp': now - datetime.timedelta(minutes=9)}})
payload = clip['Payload'].read()
out['clip'] = {'type': clip['ContentType'], 'bytes': len(payload), 'box': payload[4:8].decode('latin-1')}
print(json.dumps(out))
`;
    const { stdout } = await run(PYTHON, ['-c', script, emulator.endpoint], { env: env(), timeout: 60_000 });
    const out = JSON.parse(stdout) as {
      dash: string;
      invalid: number;
      clip: { type: string; bytes: number; box: string };
    };
    expect(out.dash).toMatch(/\/dash\/v1\/getDASHManifest\.mpd\?SessionToken=/);
    expect(out.invalid).toBe(400);
    expect(out.clip.type).toBe('video/mp4');
    expect(out.clip.box).toBe('ftyp');
    expect(out.clip.bytes).toBeGreaterThan(10_000);
  });

  it('AWS CLI: GetImages answers a page of JPEGs and a NextToken', async () => {
    if (!emulator) return;
    const { DataEndpoint } = JSON.parse(
      (
        await aws([
          'kinesisvideo',
          'get-data-endpoint',
          '--endpoint-url',
          emulator.endpoint,
          '--stream-name',
          'front-door',
          '--api-name',
          'GET_IMAGES',
        ])
      ).stdout,
    ) as { DataEndpoint: string };
    const end = new Date(Date.now() - 60_000);
    const start = new Date(end.getTime() - 12_000);

    const page = JSON.parse(
      (
        await aws([
          'kinesis-video-archived-media',
          'get-images',
          '--endpoint-url',
          DataEndpoint,
          '--stream-name',
          'front-door',
          '--image-selector-type',
          'SERVER_TIMESTAMP',
          '--start-timestamp',
          start.toISOString(),
          '--end-timestamp',
          end.toISOString(),
          '--sampling-interval',
          '3000',
          '--format',
          'JPEG',
          '--width-pixels',
          '96',
          '--height-pixels',
          '54',
          '--max-results',
          '2',
          '--no-paginate',
        ])
      ).stdout,
    ) as { Images: { TimeStamp: number; ImageContent?: string; Error?: string }[]; NextToken?: string };

    expect(page.Images).toHaveLength(2);
    expect(page.NextToken).toEqual(expect.any(String));
    const jpegs = page.Images.filter((image) => image.ImageContent !== undefined);
    expect(jpegs.length).toBeGreaterThan(0);
    for (const image of jpegs) {
      expect([...Buffer.from(image.ImageContent!, 'base64').subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    }
  });

  it('boto3: the GetImages paginator reads every page of PNGs', async () => {
    if (!emulator) return;
    const script = `
import base64, boto3, datetime, json, sys
endpoint = sys.argv[1]
kv = boto3.client('kinesisvideo', endpoint_url=endpoint)
data = kv.get_data_endpoint(StreamName='front-door', APIName='GET_IMAGES')['DataEndpoint']
media = boto3.client('kinesis-video-archived-media', endpoint_url=data)
end = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
pages = media.get_paginator('get_images').paginate(StreamName='front-door', ImageSelectorType='PRODUCER_TIMESTAMP',
    StartTimestamp=end - datetime.timedelta(seconds=90), EndTimestamp=end, SamplingInterval=3000, Format='PNG',
    WidthPixels=64, HeightPixels=36, PaginationConfig={'PageSize': 10})
out = {'pages': 0, 'images': [], 'errors': []}
for page in pages:
    out['pages'] += 1
    for image in page['Images']:
        if 'ImageContent' in image:
            png = base64.b64decode(image['ImageContent'])
            out['images'].append({'signature': png[1:4].decode('latin-1'), 'width': int.from_bytes(png[16:20], 'big'),
                'height': int.from_bytes(png[20:24], 'big')})
        else:
            out['errors'].append(image['Error'])
print(json.dumps(out))
`;
    const { stdout } = await run(PYTHON, ['-c', script, emulator.endpoint], { env: env(), timeout: 60_000 });
    const out = JSON.parse(stdout) as {
      pages: number;
      images: { signature: string; width: number; height: number }[];
      errors: string[];
    };

    expect(out.pages).toBe(4);
    expect(out.images).toHaveLength(31);
    expect(out.errors).toEqual([]);
    expect(
      out.images.every((image) => image.signature === 'PNG' && image.width === 64 && image.height === 36),
    ).toBe(true);
  });
});
