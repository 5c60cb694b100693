import { describe, expect, it } from 'vitest';
import { serverOnPageHost } from './server-url';

describe('serverOnPageHost', () => {
  it('reaches a loopback default through the address the page was opened at', () => {
    expect(serverOnPageHost('http://localhost:3001', '192.168.1.20')).toBe(
      'http://192.168.1.20:3001/',
    );
    expect(serverOnPageHost('http://127.0.0.1:3001', 'dev-box')).toBe('http://dev-box:3001/');
    expect(serverOnPageHost('http://localhost:3001', '[fd00::2]')).toBe('http://[fd00::2]:3001/');
  });

  it('keeps the default when the page is on this machine too, or the default is a real address', () => {
    expect(serverOnPageHost('http://localhost:3001', '127.0.0.1')).toBe('http://localhost:3001');
    expect(serverOnPageHost('http://127.0.0.1:3001', 'localhost')).toBe('http://127.0.0.1:3001');
    expect(serverOnPageHost('http://localhost:3001', '[::1]')).toBe('http://localhost:3001');
    expect(serverOnPageHost('https://chat.example.com', '192.168.1.20')).toBe(
      'https://chat.example.com',
    );
  });
});
