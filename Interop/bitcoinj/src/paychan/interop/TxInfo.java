package paychan.interop;

import org.bitcoinj.core.Transaction;
import org.bitcoinj.core.Utils;

/** Parses each hex transaction argument with bitcoinj and prints its description as one JSON line. */
public final class TxInfo {
    public static void main(String[] argv) {
        for (String hex : argv) {
            Transaction tx = Common.PARAMS.getDefaultSerializer().makeTransaction(Utils.HEX.decode(hex));
            tx.verify();
            Common.emit(Common.describeTx(tx));
        }
    }
}
