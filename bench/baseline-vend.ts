import { GetDataEndpointCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import {
  GetHLSStreamingSessionURLCommand,
  KinesisVideoArchivedMediaClient,
} from '@aws-sdk/client-kinesis-video-archived-media';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import jwt from 'jsonwebtoken';

/**
 * The comparison side of the throughput benchmark: a vend function written the way public KVS samples
 * do it — a new control-plane client, a GetDataEndpoint call and a new archived-media client on every
 * request. It is otherwise given every benefit: the same JWT check, SDK defaults, and KVS throttling
 * answered as 429 with Retry-After (samples usually answer 500) so that its callers back off like ours.
 */
export interface BaselineOptions {
  readonly region: string;
  readonly endpoint?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
  readonly jwtSecret: string;
  readonly issuer: string;
  readonly audience: string;
}

const json = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(body),
});

export function createBaselineHandler(
  options: BaselineOptions,
): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  const clientConfig = {
    region: options.region,
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  return async (event) => {
    const token = /^Bearer (.+)$/.exec(event.headers.Authorization ?? event.headers.authorization ?? '')?.[1];
    try {
      jwt.verify(token ?? '', options.jwtSecret, {
        algorithms: ['HS256'],
        issuer: options.issuer,
        audience: options.audience,
      });
    } catch {
      return json(401, { error: { code: 'UNAUTHENTICATED', message: 'Invalid token.' } });
    }
    const streamName = event.pathParameters?.streamName ?? '';
    try {
      const kvs = new KinesisVideoClient({
        ...clientConfig,
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      });
      const { DataEndpoint } = await kvs.send(
        new GetDataEndpointCommand({ StreamName: streamName, APIName: 'GET_HLS_STREAMING_SESSION_URL' }),
      );
      const media = new KinesisVideoArchivedMediaClient({
        ...clientConfig,
        ...(DataEndpoint !== undefined ? { endpoint: DataEndpoint } : {}),
      });
      const { HLSStreamingSessionURL } = await media.send(
        new GetHLSStreamingSessionURLCommand({ StreamName: streamName, PlaybackMode: 'LIVE', Expires: 300 }),
      );
      return json(200, {
        url: HLSStreamingSessionURL,
        protocol: 'HLS',
        stream: streamName,
        playbackMode: 'LIVE',
      });
    } catch (error) {
      if ((error as Error).name === 'ClientLimitExceededException') {
        return json(429, { error: { code: 'RATE_LIMITED', message: 'Throttled.' } }, { 'retry-after': '1' });
      }
      return json(500, { error: { code: 'INTERNAL', message: 'Could not vend a URL.' } });
    }
  };
}
