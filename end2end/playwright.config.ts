// Ticked's browser tests: a release build of the real server on its own port and a fresh
// SQLite database, driven through the distribution's headless Chromium.
import { defineConfig } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const bin = process.env.TICKED_BIN ?? path.join(root, 'target/release/ticked');
const port = Number(process.env.E2E_PORT ?? 3100);
// A second server whose access tokens live two seconds, for the token-path tests.
const shortPort = port + 1;
// A third whose access tokens live a minute: long enough to be renewed ahead of expiry.
const minutePort = port + 2;
const baseURL = `http://127.0.0.1:${port}`;
// A fourth that mails password-reset links to a maildev (SMTP + REST API) of its own.
const mailPort = port + 3;
const maildevSmtpPort = port + 4;
const maildevWebPort = port + 5;

function server(serverPort: number, env: Record<string, string> = {}) {
  return {
    command: bin,
    cwd: root,
    url: `http://127.0.0.1:${serverPort}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${serverPort}`,
      LEPTOS_SITE_ROOT: path.join(root, 'target/site'),
      DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'ticked-e2e-')),
      BCRYPT_COST: '4',
      RUST_LOG: 'warn',
      ...env,
    },
  };
}

process.env.SHORT_TOKENS_URL = `http://127.0.0.1:${shortPort}`;
process.env.MINUTE_TOKENS_URL = `http://127.0.0.1:${minutePort}`;
process.env.MAIL_URL = `http://127.0.0.1:${mailPort}`;
process.env.MAILDEV_URL = `http://127.0.0.1:${maildevWebPort}`;

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  workers: 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  use: {
    baseURL,
    browserName: 'chromium',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      // Without the background-networking flags Chromium keeps trying to reach Google's
      // services, which this machine's closed network refuses.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: [
    server(port),
    server(shortPort, { ACCESS_TOKEN_TTL_SECONDS: '2', REFRESH_REUSE_GRACE_SECONDS: '0' }),
    server(minutePort, { ACCESS_TOKEN_TTL_SECONDS: '60' }),
    server(mailPort, {
      SMTP_URL: `smtp://127.0.0.1:${maildevSmtpPort}`,
      PUBLIC_URL: `http://127.0.0.1:${mailPort}`,
    }),
    {
      command: `${path.join(__dirname, 'node_modules/.bin/maildev')} --smtp ${maildevSmtpPort} --web ${maildevWebPort} --ip 127.0.0.1 --silent`,
      url: `http://127.0.0.1:${maildevWebPort}/healthz`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore' as const,
      stderr: 'pipe' as const,
    },
  ],
});
