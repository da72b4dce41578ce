// execeval's stand-in for JavaFX's javafx.util.Pair, so that programs importing it (every Java test script of
// TransCoder's GfG set starts with `import javafx.util.Pair;`) build on a JDK without JavaFX.
//
// It has the API those programs use, with JavaFX's documented behaviour: an immutable key and value, getKey,
// getValue, equality and hash by both, and toString "key=value". Shipped into a Java compile job only when the
// source mentions javafx.util (execeval/languages/java.py), and part of that build's cache key.

package javafx.util;

import java.io.Serializable;
import java.util.Objects;

public class Pair<K, V> implements Serializable {
    private static final long serialVersionUID = 1L;

    private final K key;
    private final V value;

    public Pair(K key, V value) {
        this.key = key;
        this.value = value;
    }

    public K getKey() {
        return key;
    }

    public V getValue() {
        return value;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof Pair)) {
            return false;
        }
        Pair<?, ?> that = (Pair<?, ?>) other;
        return Objects.equals(key, that.key) && Objects.equals(value, that.value);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hashCode(key) + Objects.hashCode(value);
    }

    @Override
    public String toString() {
        return key + "=" + value;
    }
}
