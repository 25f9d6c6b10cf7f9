/** Target B: a Worker that does nothing but answer constant JSON, the floor of any Worker. */
const BODY = '{"ok":true}';

export default {
  fetch() {
    return new Response(BODY, { headers: { "content-type": "application/json" } });
  },
};
