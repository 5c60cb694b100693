/** Socket.IO's path, as the server serves it (its default). */
export const ENGINE_PATH = '/socket.io/';
