#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/build-app';
import { ConfigurationError } from '../lib/config';

try {
  buildApp(new App());
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  // A bad `kvsUrlVending` context: the message names the key to fix, and a stack trace would bury it.
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
