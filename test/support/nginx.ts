import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { notYet, ready, waitFor } from "../../lab/wait.js";
import { freePort } from "./ports.js";
import { stopChild } from "./process.js";

/**
 * Debian's nginx configured like ingress-nginx in front of the registry, with the directives and
 * defaults ingress-nginx renders (kubernetes/ingress-nginx rootfs/etc/nginx/template/nginx.tmpl,
 * internal/ingress/controller/config/config.go NewDefault, docs/user-guide/nginx-configuration/annotations.md):
 * (a) ingress-nginx with no annotations, (b) with the lab's large-transfer annotations. Everything
 * is set explicitly so any nginx version behaves alike. Listens on 127.0.0.1 only.
 */
export type NginxProfile = "ingress-defaults" | "lab-annotations";

function config(profile: NginxProfile, dir: string, port: number, upstreamPort: number, timeoutSeconds: number, serverName?: string): string {
  const annotations =
    profile === "lab-annotations"
      ? `client_max_body_size 0;
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_max_temp_file_size 0;
      proxy_read_timeout ${timeoutSeconds}s;
      proxy_send_timeout ${timeoutSeconds}s;`
      : `client_max_body_size 1m;
      proxy_request_buffering on;
      proxy_buffering off;
      proxy_max_temp_file_size 1024m;
      proxy_read_timeout 60s;
      proxy_send_timeout 60s;`;
  return `
${process.getuid?.() === 0 ? "user root root;" : ""}
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
  # When each request began and ended, for the transfer benchmark's time to first byte: $msec is
  # the time of the log write, $request_time the time since the request's first bytes were read
  # (https://nginx.org/en/docs/http/ngx_http_log_module.html#log_format).
  log_format timing '$msec $request_time $status $request_method $request_uri';
  access_log ${dir}/access.log timing;
  client_body_temp_path ${dir}/client-body;
  proxy_temp_path ${dir}/proxy-temp;
  fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  client_body_buffer_size 8k;
  client_body_timeout 60s;
  client_header_buffer_size 1k;
  large_client_header_buffers 4 8k;
  keepalive_timeout 75s;
  keepalive_requests 1000;
  reset_timedout_connection on;
  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
  upstream registry_backend {
    server 127.0.0.1:${upstreamPort};
    keepalive 320;
    keepalive_time 1h;
    keepalive_timeout 60s;
    keepalive_requests 10000;
  }
  ${
    serverName
      ? `# Like ingress-nginx: a request for another host gets the default backend's 404.
  server { listen 127.0.0.1:${port} default_server; return 404; }`
      : ""
  }
  server {
    listen 127.0.0.1:${port};
    ${serverName ? `server_name ${serverName};` : ""}
    location / {
      proxy_set_header Host $host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_connect_timeout 5s;
      proxy_buffer_size 4k;
      proxy_buffers 4 4k;
      proxy_http_version 1.1;
      proxy_next_upstream error timeout;
      proxy_next_upstream_timeout 0;
      proxy_next_upstream_tries 3;
      ${annotations}
      proxy_pass http://registry_backend;
    }
  }
}
`;
}

/** One line of the access log: a request's start and end (epoch ms), status, method and URI. */
export interface Logged {
  readonly startMs: number;
  readonly endMs: number;
  readonly status: number;
  readonly method: string;
  readonly uri: string;
}

export interface Nginx {
  readonly url: string;
  readonly dir: string;
  errorLog(): string;
  /** The requests logged so far, in the order nginx finished them. */
  requests(): Logged[];
  stop(): Promise<void>;
}

/** serverName: answer only for this Host, as an Ingress rule does; other hosts get 404. */
export async function startNginx(profile: NginxProfile, upstreamPort: number, timeoutSeconds = 3600, serverName?: string): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), `anka-lab-nginx-${profile}-`));
  const port = await freePort();
  writeFileSync(join(dir, "nginx.conf"), config(profile, dir, port, upstreamPort, timeoutSeconds, serverName));
  const child: ChildProcess = spawn("nginx", ["-p", dir, "-c", join(dir, "nginx.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `nginx (${profile}) on ${url}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${stderr}`);
      try {
        // Any HTTP answer (the default server's 404 too) means nginx is up.
        await fetch(url, { signal: AbortSignal.timeout(500) });
        return ready(true);
      } catch {
        return notYet("not answering yet");
      }
    },
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  return {
    url,
    dir,
    errorLog: () => readFileSync(join(dir, "error.log"), "utf8"),
    requests: () =>
      readFileSync(join(dir, "access.log"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => {
          const [msec, requestTime, status, method, uri] = line.split(" ");
          const endMs = Math.round(Number(msec) * 1000);
          return { startMs: endMs - Math.round(Number(requestTime) * 1000), endMs, status: Number(status), method: method!, uri: uri! };
        }),
    async stop() {
      // SIGQUIT: nginx's graceful shutdown.
      await stopChild(child, "SIGQUIT");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
