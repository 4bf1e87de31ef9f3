package paychan.interop;

import com.google.common.util.concurrent.SettableFuture;
import org.bitcoinj.core.*;
import org.bitcoinj.params.RegTestParams;
import org.bitcoinj.script.Script;

import java.util.*;

/** Helpers shared by the interop drivers: params, a stub broadcaster, a fake funding transaction, JSON output. */
final class Common {
    static final NetworkParameters PARAMS = RegTestParams.get();

    private Common() {}

    /** Sets up bitcoinj's Context with its defaults (fee 100,000 sat/kB, min fee enforced). */
    static void context() {
        Context.propagate(new Context(PARAMS));
    }

    /** A broadcaster that accepts every transaction at once and prints it as one JSON line. */
    static final class StubBroadcaster implements TransactionBroadcaster {
        final List<Transaction> broadcast = Collections.synchronizedList(new ArrayList<>());
        private final String who;

        StubBroadcaster(String who) { this.who = who; }

        @Override
        public TransactionBroadcast broadcastTransaction(Transaction tx) {
            broadcast.add(tx);
            emit(obj("event", "broadcast", "by", who, "txid", tx.getTxId().toString(),
                    "hex", Utils.HEX.encode(tx.unsafeBitcoinSerialize())));
            SettableFuture<Transaction> future = SettableFuture.create();
            future.set(tx);
            return TransactionBroadcast.createMockBroadcast(tx, future);
        }
    }

    /** A made-up unconfirmed transaction paying {@code value} to P2PKH of {@code key}; its input spends nothing real. */
    static Transaction fakeFunding(ECKey key, Coin value) {
        Transaction tx = new Transaction(PARAMS);
        Sha256Hash prev = Sha256Hash.of(("paychan interop funding " + key.getPublicKeyAsHex()).getBytes());
        tx.addInput(new TransactionInput(PARAMS, tx, new byte[0], new TransactionOutPoint(PARAMS, 0, prev)));
        tx.addOutput(value, LegacyAddress.fromKey(PARAMS, key));
        return tx;
    }

    /** A JSON description of a transaction's outputs. */
    static String describeTx(Transaction tx) {
        StringBuilder outs = new StringBuilder("[");
        for (TransactionOutput out : tx.getOutputs()) {
            if (outs.length() > 1) outs.append(',');
            Script script = out.getScriptPubKey();
            outs.append(obj("value", out.getValue().value, "script", Utils.HEX.encode(script.getProgram())));
        }
        outs.append(']');
        StringBuilder ins = new StringBuilder("[");
        for (TransactionInput in : tx.getInputs()) {
            if (ins.length() > 1) ins.append(',');
            ins.append(quote(in.getOutpoint().getHash() + ":" + in.getOutpoint().getIndex()));
        }
        ins.append(']');
        return "{\"txid\":" + quote(tx.getTxId().toString()) + ",\"version\":" + tx.getVersion()
                + ",\"lock_time\":" + tx.getLockTime() + ",\"inputs\":" + ins + ",\"outputs\":" + outs
                + ",\"hex\":" + quote(Utils.HEX.encode(tx.unsafeBitcoinSerialize())) + "}";
    }

    static final class Raw {
        final String json;
        Raw(String json) { this.json = json; }
    }

    /** Builds a JSON object from key/value pairs (String, Number, Boolean, Raw, null). */
    static String obj(Object... kv) {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < kv.length; i += 2) {
            if (i > 0) b.append(',');
            b.append(quote((String) kv[i])).append(':');
            Object v = kv[i + 1];
            if (v == null) b.append("null");
            else if (v instanceof Raw) b.append(((Raw) v).json);
            else if (v instanceof Number || v instanceof Boolean) b.append(v);
            else b.append(quote(v.toString()));
        }
        return b.append('}').toString();
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    static synchronized void emit(String line) {
        System.out.println(line);
        System.out.flush();
    }

    /** Parses --name value pairs. */
    static Map<String, String> args(String[] argv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            if (!argv[i].startsWith("--")) throw new IllegalArgumentException("unexpected argument " + argv[i]);
            String name = argv[i].substring(2);
            if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) m.put(name, argv[++i]);
            else m.put(name, "true");
        }
        return m;
    }
}
