// Types for js-md4 (the package ships none): only what ntlm.ts uses.
declare module 'js-md4' {
  interface Md4 {
    arrayBuffer(message: Uint8Array | ArrayBuffer | string): ArrayBuffer;
  }
  const md4: Md4;
  export default md4;
}
