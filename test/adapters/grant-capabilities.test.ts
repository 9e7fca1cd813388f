import { GrantRecordError, parseGrantRecord } from '../../lambda/adapters/grants/grant-records';

const player = {
  principal: 'user:alice',
  streams: ['front-door'],
  playbackModes: ['LIVE'],
  protocols: ['HLS'],
  maxExpiresInSeconds: 900,
};
const downloader = {
  principal: 'user:alice',
  streams: ['front-door'],
  capabilities: ['CLIP', 'IMAGES'],
  maxExpiresInSeconds: 900,
};

describe('grant records: capabilities', () => {
  it('reads a record without capabilities as it always was: play only, no capabilities field', () => {
    const grant = parseGrantRecord(player);

    expect(grant).not.toHaveProperty('capabilities');
    expect(grant.playbackModes).toEqual(['LIVE']);
  });

  it('reads capabilities, without duplicates, and a grant without PLAY without modes or protocols', () => {
    const both = parseGrantRecord({ ...player, capabilities: ['PLAY', 'CLIP', 'CLIP', 'IMAGES'] });
    const mediaOnly = parseGrantRecord(downloader);

    expect(both.capabilities).toEqual(['PLAY', 'CLIP', 'IMAGES']);
    expect(mediaOnly).toMatchObject({ capabilities: ['CLIP', 'IMAGES'], playbackModes: [], protocols: [] });
  });

  it('derives a new grant id once capabilities are set, and keeps the old one without them', () => {
    // The id this record had before capabilities existed: stored grants keep their ids.
    expect(parseGrantRecord(player).grantId).toBe('g-414143400cf4991a');
    expect(parseGrantRecord({ ...player, capabilities: ['PLAY', 'CLIP'] }).grantId).not.toBe(
      parseGrantRecord(player).grantId,
    );
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'an unknown capability',
      { ...player, capabilities: ['PLAY', 'DOWNLOAD'] },
      /capabilities\.1: expected one of PLAY, CLIP, IMAGES/,
    ],
    ['no capability at all', { ...player, capabilities: [] }, /capabilities: must hold at least 1 item/],
    ['capabilities as a string', { ...player, capabilities: 'PLAY,CLIP' }, /capabilities: expected array/],
    [
      'PLAY without playback modes',
      { ...downloader, capabilities: ['PLAY', 'CLIP'] },
      /playbackModes: required when the grant allows PLAY; protocols: required when the grant allows PLAY/,
    ],
    [
      'playback modes without PLAY',
      { ...downloader, playbackModes: ['LIVE'] },
      /playbackModes: allowed only when the grant allows PLAY/,
    ],
    ['a misspelt field', { ...downloader, capability: ['CLIP'] }, /capability: unknown field/],
  ])('refuses %s, naming the field', (_, record, message) => {
    expect(() => parseGrantRecord(record)).toThrow(GrantRecordError);
    expect(() => parseGrantRecord(record)).toThrow(message);
  });
});
