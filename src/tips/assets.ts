/**
 * The public page's own files, served from `/tip/static/` (our origin: the strict CSP allows nothing inline). Kept as
 * strings in a module so the build (tsc) ships them with the code and nothing has to be copied beside `dist/`.
 */

/** Phone first: one column, big touch targets, the error beside its field, the receipt's link hard to miss. */
export const TIP_CSS = `*{box-sizing:border-box}
body{margin:0;font:16px/1.6 -apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1f2329;background:#f5f6f7}
main{max-width:40rem;margin:0 auto;padding:1rem;background:#fff;min-height:100vh}
h1{font-size:1.35rem;line-height:1.35;margin:.5rem 0 1rem;color:#b42318}
h2{font-size:1.1rem;margin:1.25rem 0 .5rem}
.lead{color:#4e5969;font-size:.95rem}
.field{margin:0 0 1rem}
.field label{display:block;font-weight:600;margin-bottom:.25rem}
.field .hint{display:block;font-weight:400;color:#646a73;font-size:.85rem}
input,select,textarea{width:100%;font:inherit;padding:.6rem .7rem;border:1px solid #c9cdd4;border-radius:6px;background:#fff}
textarea{min-height:8rem;resize:vertical}
input[type=file]{padding:.4rem;border-style:dashed}
.field.invalid input,.field.invalid textarea,.field.invalid select{border-color:#d92d20;background:#fff5f4}
.problem{color:#d92d20;font-size:.9rem;margin:.3rem 0 0}
.alert{border:1px solid #f4b7b2;background:#fff1f0;color:#a8071a;padding:.75rem;border-radius:6px;margin:0 0 1rem}
.notice{border:1px solid #ffd591;background:#fffbe6;padding:.75rem;border-radius:6px;margin:0 0 1rem}
button{width:100%;font:inherit;font-weight:600;padding:.8rem;border:0;border-radius:6px;background:#b42318;color:#fff}
button[disabled]{opacity:.6}
.code{font-size:1.6rem;font-weight:700;letter-spacing:.05em;color:#1f2329}
.save{border:2px solid #b42318;border-radius:8px;padding:.75rem;margin:1rem 0;background:#fff8f7}
.save strong{display:block;color:#b42318;font-size:1.1rem;margin-bottom:.4rem}
.save a{word-break:break-all;font-size:1rem}
.status{font-size:1.2rem;font-weight:700}
.answer{white-space:pre-wrap;border-left:4px solid #2e7d32;padding:.5rem .75rem;background:#f3faf3}
footer{color:#86909c;font-size:.8rem;margin-top:2rem}
`;

/**
 * The proof-of-work solver (an ES module): finds a nonce so that SHA-256(challenge + nonce) has the asked number of
 * leading zero bits (src/tips/challenge.ts checks it), starting as soon as the page loads so the work is mostly done
 * while the tipster types. Web Crypto only; nothing is sent anywhere but with the form.
 */
export const TIP_POW_JS = `const form = document.querySelector('form[data-challenge]');
if (form) {
  const challenge = form.elements.namedItem('challenge').value;
  const nonce = form.elements.namedItem('nonce');
  const status = document.getElementById('pow-status');
  const bits = Number(challenge.split('.')[2]);
  const encoder = new TextEncoder();
  const zeroBits = (bytes) => {
    let n = 0;
    for (const b of bytes) {
      if (b === 0) { n += 8; continue; }
      return n + Math.clz32(b) - 24;
    }
    return n;
  };
  status.textContent = '正在进行安全验证（无需操作）…';
  const solving = (async () => {
    for (let n = 0; ; n++) {
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(challenge + n)));
      if (zeroBits(digest) >= bits) return String(n);
    }
  })().then((found) => {
    nonce.value = found;
    status.textContent = '安全验证已完成，可以提交。';
    return found;
  });
  form.addEventListener('submit', (event) => {
    if (nonce.value) return;
    event.preventDefault();
    status.textContent = '正在完成安全验证，完成后自动提交…';
    solving.then(() => form.submit());
  });
}
`;
